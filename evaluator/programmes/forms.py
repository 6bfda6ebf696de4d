"""The programme pages' forms (CSRF-protected; labels come from the templates' t(...))."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp


class ProgrammeForm(FlaskForm):
    key = StringField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$",
                      message=_l("1-40 letters, digits, - or _"))])
    title_zh = StringField(validators=[DataRequired(), Length(max=200)])
    title_en = StringField(validators=[Optional(), Length(max=200)])
    commissioning_body = StringField(validators=[DataRequired(), Length(max=200)])
    period_start = DateField(validators=[DataRequired()])
    period_end = DateField(validators=[DataRequired()])
    rubric = SelectField(coerce=int, validators=[DataRequired()])
    stratum_column = StringField(default="township", validators=[DataRequired(), Length(max=80)])
    #: How each unit's sample is drawn (seeded per unit); no size: units are drawn by hand.
    sample_size = IntegerField(validators=[Optional(), NumberRange(1, 1_000_000)])
    min_per_stratum = IntegerField(default=0, validators=[Optional(), NumberRange(0, 10_000)])
    reserve = IntegerField(default=2, validators=[Optional(), NumberRange(0, 10_000)])
    seed = IntegerField(default=1, validators=[InputRequired(), NumberRange(0, 2**31 - 1)])
    synthetic = BooleanField(default=False)


class UnitsForm(FlaskForm):
    """A units sheet (单位清单: unit, region, roster, lead, evaluators, unit_user, key) and
    the roster files it names."""

    sheet = FileField(validators=[FileRequired()])
    rosters = MultipleFileField()


class ScoreForm(FlaskForm):
    pass
