"""The feedback and rectification pages' forms (labels come from the templates' t(...))."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from evaluator.fieldwork.models import SEVERITIES
from evaluator.fieldwork.views_common import value_choices


class PublishForm(FlaskForm):
    deadline = DateField(validators=[DataRequired()])


class AnswerForm(FlaskForm):
    answer = RadioField(choices=value_choices(("accepted", "contested")),
                        validators=[DataRequired()])
    reason = TextAreaField(validators=[Optional(), Length(max=4000)])
    photos = MultipleFileField()


class DecisionForm(FlaskForm):
    outcome = RadioField(choices=value_choices(("upheld", "rejected")), validators=[DataRequired()])
    change = RadioField(choices=value_choices(("withdrawn", "changed")), validators=[Optional()])
    severity = SelectField(choices=value_choices(("", *SEVERITIES)), validators=[Optional()])
    description = TextAreaField(validators=[Optional(), Length(max=4000)])
    reason = TextAreaField(validators=[Optional(), Length(max=4000)])


class RectifyForm(FlaskForm):
    to_state = SelectField(choices=value_choices(("in_progress", "submitted", "verified")),
                           validators=[DataRequired()])
    note = TextAreaField(validators=[Optional(), Length(max=4000)])
    photos = MultipleFileField()


class LookBackForm(FlaskForm):
    previous = SelectField(coerce=int)  # 0: none
