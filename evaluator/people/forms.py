"""People's page forms (CSRF-protected). Rules beyond shape (unique names, the last
administrator, the role rule, password quality) are the operations'; they answer with the
field named."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from evaluator.auth.models import ROLES
from evaluator.people.operations import HANDOVERS, MAX_PASSWORD


def _choices(values: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(v, v) for v in values]


class CreateUserForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=80)])
    display_name = StringField(validators=[Length(max=120)])
    role = SelectField(choices=_choices(ROLES), default="evaluator")
    handover = RadioField(choices=_choices(HANDOVERS))


class RoleForm(FlaskForm):
    role = SelectField(choices=_choices(ROLES))


class ActiveForm(FlaskForm):
    active = SelectField(choices=_choices(("0", "1")))


class ResetForm(FlaskForm):
    handover = RadioField(choices=_choices(HANDOVERS))


class UnlockForm(FlaskForm):
    pass


class OwnPasswordForm(FlaskForm):
    current = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    password = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    confirm = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD)])


class LinkPasswordForm(FlaskForm):
    password = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    confirm = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD)])


class InviteForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=80)])
    display_name = StringField(validators=[Length(max=120)])
