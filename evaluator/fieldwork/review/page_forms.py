"""The lead's review forms: review decisions, call-back draws and their outcomes.
Labels are rendered by the templates with _(...); choices are labelled from the vocabulary."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from evaluator.fieldwork.models import RECHECK_OUTCOMES
from evaluator.fieldwork.review.operations import BULK_DECISIONS, REVIEW_DECISIONS
from evaluator.web.i18n import choices


class ReviewForm(FlaskForm):
    state = RadioField(choices=choices("state", REVIEW_DECISIONS), validators=[DataRequired()])
    comment = TextAreaField(validators=[Optional(), Length(max=4000)])


class BulkReviewForm(FlaskForm):
    """One decision for many records: those ticked (``ids``), or all the filters match."""

    decision = RadioField(choices=choices("state", BULK_DECISIONS), validators=[DataRequired()])
    comment = TextAreaField(validators=[Optional(), Length(max=4000)])
    scope = RadioField(choices=[SelectChoice("selected"), SelectChoice("filtered")],
                       default="selected")
    expected = IntegerField(default=0, validators=[Optional(), NumberRange(0, 10_000_000)])


class RecheckForm(FlaskForm):
    size = IntegerField(default=5, validators=[InputRequired(), NumberRange(1, 10_000)])
    seed = IntegerField(validators=[InputRequired(), NumberRange(0, 2**31 - 1)])


class RecheckOutcomeForm(FlaskForm):
    outcome = SelectField(choices=choices("outcome", RECHECK_OUTCOMES))
    note = TextAreaField(validators=[Optional(), Length(max=4000)])
