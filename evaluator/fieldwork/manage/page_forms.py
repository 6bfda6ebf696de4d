"""The lead's page forms (CSRF-protected Flask-WTF forms): creating an evaluation, settings,
members, the roster and system uploads, drawing the sample, assigning.

The questionnaires themselves are generated from survey definitions in fieldwork/forms.py.
Labels are rendered by the templates with _(...); choices take their labels from the vocabulary
(evaluator.web.i18n.choices), so a select never shows a raw code.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from evaluator.fieldwork.models import (
    ASSIGNED_SOURCES,
    COUNT_POLICIES,
    EVALUATION_STATUSES,
    MEMBER_ROLES,
    NONRESPONSE_OUTCOMES,
)
from evaluator.web.i18n import choices


class EvaluationForm(FlaskForm):
    key = StringField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{2,80}$",
                      message=_l("2-80 letters, digits, - or _"))])
    title_zh = StringField(validators=[DataRequired(), Length(max=200)])
    title_en = StringField(validators=[Optional(), Length(max=200)])
    evaluated_unit = StringField(validators=[DataRequired(), Length(max=200)])
    commissioning_body = StringField(validators=[DataRequired(), Length(max=200)])
    period_start = DateField(validators=[DataRequired()])
    period_end = DateField(validators=[DataRequired()])
    rubric = SelectField(coerce=int, validators=[DataRequired()])
    surveys = SelectMultipleField(coerce=int, validators=[DataRequired()])
    stratum_column = StringField(default="township",
                                 validators=[DataRequired(), Length(max=80)])
    count_policy = SelectField(choices=choices("policy", COUNT_POLICIES), default="approved")
    synthetic = BooleanField(default=False)
    roster = FileField(validators=[FileRequired()])


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


class SettingsForm(FlaskForm):
    status = SelectField(choices=choices("status", EVALUATION_STATUSES))
    count_policy = SelectField(choices=choices("policy", COUNT_POLICIES))
    min_interview_minutes = IntegerField(validators=[InputRequired(), NumberRange(0, 600)])
    aid_tolerance = FloatField(validators=[InputRequired(), NumberRange(0, 10)])
    time_zone = StringField(validators=[Optional(), Length(max=64)])


class FinishForm(FlaskForm):
    confirm = BooleanField(default=False)
    reason = TextAreaField(validators=[Optional(), Length(max=2000)])


class MemberForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=80)])
    role = SelectField(choices=choices("role", MEMBER_ROLES), default="evaluator")


class RemoveMemberForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])


class SampleForm(FlaskForm):
    method = RadioField(choices=choices("rule"), default="size")
    size = IntegerField(validators=[Optional(), NumberRange(1, 1_000_000)])
    margin = FloatField(validators=[Optional(), NumberRange(0.001, 0.5)])
    threshold = FloatField(validators=[Optional(), NumberRange(0.001, 0.999)])
    expected_errors = IntegerField(default=0, validators=[Optional(), NumberRange(0, 10_000)])
    confidence = FloatField(default=0.95, validators=[InputRequired(), NumberRange(0.5, 0.999)])
    min_per_stratum = IntegerField(default=0, validators=[Optional(), NumberRange(0, 10_000)])
    reserve = IntegerField(default=2, validators=[Optional(), NumberRange(0, 10_000)])
    seed = IntegerField(validators=[InputRequired(), NumberRange(0, 2**31 - 1)])
    redraw = BooleanField(default=False)  # required once a sample is drawn


class AssignForm(FlaskForm):
    stratum = SelectField(validators=[DataRequired()])
    assignee = SelectField(coerce=int, validators=[DataRequired()])
    sources = SelectMultipleField(choices=choices("source", ASSIGNED_SOURCES),
                                  default=list(ASSIGNED_SOURCES), validators=[DataRequired()])
    include_reserve = BooleanField(default=False)
    replace = BooleanField(default=False)


class AssignHouseholdsForm(FlaskForm):
    """Many households at once: ticked (``pks``) or all the filters match; to the evaluators
    ticked (``assignees``), evenly when several."""

    sources = SelectMultipleField(choices=choices("source", ASSIGNED_SOURCES),
                                  default=list(ASSIGNED_SOURCES), validators=[DataRequired()])
    scope = RadioField(choices=[SelectChoice("selected"), SelectChoice("filtered")],
                       default="selected")
    expected = IntegerField(default=0, validators=[Optional(), NumberRange(0, 10_000_000)])
    replace = BooleanField(default=False)


class NonResponseForm(FlaskForm):
    """A drawn household that could not be interviewed: the next reserve takes its place. The
    lead may name the reserve (refused unless it is the next) and its evaluator (0: whoever
    had the household)."""

    household_id = StringField(validators=[DataRequired(), Length(max=80)])
    outcome = RadioField(choices=choices("nonresponse", NONRESPONSE_OUTCOMES),
                         validators=[DataRequired()])
    reserve_id = StringField(validators=[Optional(), Length(max=80)])
    assignee = SelectField(coerce=int, default=0, validators=[Optional()])


class UndoNonResponseForm(FlaskForm):
    household_id = StringField(validators=[DataRequired(), Length(max=80)])
