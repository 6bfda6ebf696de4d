"""The survey pages' forms (CSRF-protected): upload a workbook with its files, publish."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class UploadForm(FlaskForm):
    workbook = FileField(validators=[FileRequired()])
    attachments = MultipleFileField(validators=[Optional()])
    # empty: the settings sheet's default_language, else read from the labels (as the CLI)
    language = SelectField(choices=[SelectChoice(v, v) for v in ("", "zh", "en")],
                           validators=[Optional()])


class PublishForm(FlaskForm):
    change_note = TextAreaField(validators=[DataRequired(), Length(max=2000)])
