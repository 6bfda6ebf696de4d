"""The lead's review forms: review decisions, call-back draws and their outcomes.
Labels are rendered by the templates with t(...), so these classes carry no display text."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from evaluator.fieldwork.models import RECHECK_OUTCOMES
from evaluator.fieldwork.review.operations import REVIEW_DECISIONS
from evaluator.web.i18n import choices


class ReviewForm(FlaskForm):
    state = RadioField(choices=choices("state", REVIEW_DECISIONS), validators=[DataRequired()])
    comment = TextAreaField(validators=[Optional(), Length(max=4000)])



class RecheckForm(FlaskForm):
    size = IntegerField(default=5, validators=[InputRequired(), NumberRange(1, 10_000)])
    seed = IntegerField(validators=[InputRequired(), NumberRange(0, 2**31 - 1)])


class RecheckOutcomeForm(FlaskForm):
    outcome = SelectField(choices=choices("outcome", RECHECK_OUTCOMES))
    note = TextAreaField(validators=[Optional(), Length(max=4000)])
