"""The feedback and rectification pages' forms; options labelled from the vocabulary
(``evaluator.web.i18n.choices``), field labels written by the templates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from evaluator.fieldwork.models import SEVERITIES
from evaluator.web.i18n import choices


class PublishForm(FlaskForm):
    deadline = DateField(validators=[DataRequired()])


class AnswerForm(FlaskForm):
    answer = RadioField(choices=choices("answer", ("accepted", "contested")),
                        validators=[DataRequired()])
    reason = TextAreaField(validators=[Optional(), Length(max=4000)])
    photos = MultipleFileField()


class DecisionForm(FlaskForm):
    outcome = RadioField(choices=choices("outcome", ("upheld", "rejected")), validators=[DataRequired()])
    change = RadioField(choices=choices("change", ("withdrawn", "changed")), validators=[Optional()])
    severity = SelectField(choices=[SelectChoice("", "–"), *choices("sev", SEVERITIES)], validators=[Optional()])
    description = TextAreaField(validators=[Optional(), Length(max=4000)])
    reason = TextAreaField(validators=[Optional(), Length(max=4000)])


class RectifyForm(FlaskForm):
    to_state = SelectField(choices=choices("rect", ("in_progress", "submitted", "verified")),
                           validators=[DataRequired()])
    note = TextAreaField(validators=[Optional(), Length(max=4000)])
    photos = MultipleFileField()


class LookBackForm(FlaskForm):
    previous = SelectField(coerce=int)  # 0: none
