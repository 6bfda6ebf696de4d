"""The team's page forms around the questionnaires: findings and judgement scores.
Labels are rendered by the templates with t(...), so these classes carry no display text."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from evaluator.fieldwork.models import SEVERITIES
from evaluator.web.i18n import choices


class FindingForm(FlaskForm):
    indicator = SelectField(validators=[DataRequired()])
    severity = SelectField(choices=choices("sev", SEVERITIES), default="minor")
    description = TextAreaField(validators=[DataRequired(), Length(max=4000)])
    household_id = StringField(validators=[Optional(), Length(max=80)])
    responsible_unit = StringField(validators=[DataRequired(), Length(max=200)])
    responsible_person = StringField(validators=[DataRequired(), Length(max=120)])
    deadline = DateField(validators=[DataRequired()])
    photos = MultipleFileField()


class JudgementForm(FlaskForm):
    indicator = HiddenField(validators=[DataRequired()])
    score = FloatField(validators=[InputRequired(), NumberRange(0, 1000)])
    reason = TextAreaField(validators=[DataRequired(), Length(max=4000)])
