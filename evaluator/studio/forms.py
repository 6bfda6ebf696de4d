"""The studio's page forms (CSRF-protected). The editor's own inputs are named by rubric place
and read by ``editing.form_to_content``; its form class carries the CSRF token and the lock
version only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class StartForm(FlaskForm):
    origin = SelectField(choices=[SelectChoice(v, v) for v in ("shipped", "version", "blank")],
                         validators=[DataRequired()])
    shipped = StringField(validators=[Optional(), Length(max=120)])
    version_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])


class ImportForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


class EditorForm(FlaskForm):
    lock_version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class PublishForm(FlaskForm):
    lock_version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    change_note = TextAreaField(validators=[DataRequired(), Length(max=2000)])


class MoveForm(FlaskForm):
    version_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
