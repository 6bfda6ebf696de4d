"""The web app's language: Flask-Babel on the product's catalogs (``evaluator.catalogs``).

Chinese (zh, Simplified, as zh-CN) first, English switchable with ``?lang=en`` (remembered in the session). Text in
templates is ``_('English')``, in Python ``gettext('English')`` (``lazy_gettext`` at import
time); the Chinese is in ``evaluator/translations/zh/LC_MESSAGES/messages.po``.

Stored codes (review states, roles, sources, severities, audit actions...) are shown through
``label(kind, code)``: one vocabulary, used by templates and by form choices alike, so an option
never appears as a raw code in the Chinese UI.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, session
from flask_babel import (
    Babel,
    format_date,
    format_decimal,
    format_time,
    lazy_pgettext,
)
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from evaluator.catalogs import LOCALES, TRANSLATIONS_DIR, ensure_compiled

LANGUAGES = tuple(LOCALES)

VOCABULARY: dict[str, dict[str, object]] = {
    "source": {
        "household": _l("Household visit"),
        "file_check": _l("File check"),
        "forum": _l("Forum"),
        "system": _l("System data"),
        "roster": _l("Roster"),
    },
    "state": {
        "received": _l("Received"),
        "hasIssues": _l("Has issues"),
        "edited": _l("Edited"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
    },
    "sev": {
        "minor": _l("minor"),
        "major": _l("major"),
        "critical": _l("critical"),
    },
    "role": {
        "admin": _l("Administrator"),
        "author": _l("Rubric author"),
        "lead": _l("Team lead"),
        "evaluator": _l("Evaluator"),
        "viewer": _l("Report recipient"),
        "unit": _l("Evaluated unit"),
    },
    "flag": {
        "short": _l("short interview"),
        "no_gps": _l("no GPS"),
        "aid_mismatch": _l("aid differs from system"),
        "household_mismatch": _l("household code differs"),
    },
    # a drawn household that gave no interview (fieldwork/manage/reserves.py)
    "nonresponse": {
        "refused": _l("refused"),
        "unreached": _l("not reached"),
    },
    "outcome": {
        "pending": _l("pending"),
        "confirmed": _l("confirmed"),
        "differs": _l("differs"),
        "upheld": _l("Upheld"),
        "rejected": lazy_pgettext("appeal", "Rejected"),
    },
    "status": {
        "setup": _l("Setting up"),
        "fieldwork": _l("In the field"),
        "finished": _l("Finished"),
    },
    "policy": {
        "approved": _l("approved only"),
        "not_rejected": _l("every record not rejected"),
    },
    "verdict": {
        "meets": _l("meets"),
        "fails": _l("fails"),
        "indeterminate": _l("indeterminate"),
        "insufficient": _l("insufficient"),
    },
    "rule": {
        "size": _l("Fixed size"),
        "margin": _l("By margin of error"),
        "threshold": _l("By threshold"),
    },
    "action": {
        "assign.stratum": _l("Households assigned"),
        "assign.households": _l("Households assigned in bulk"),
        "evaluation.create": _l("Evaluation created"),
        "evaluation.finish": _l("Evaluation finished"),
        "finding.edit": _l("Finding changed"),
        "finding.delete": _l("Finding deleted"),
        "submission.bulk_review": _l("Records reviewed together"),
        "evaluation.settings": _l("Settings changed"),
        "finding.create": _l("Finding recorded"),
        "judgement.save": _l("Judgement score saved"),
        "member.remove": _l("Member removed"),
        "member.set": _l("Member added or changed"),
        "recheck.draw": _l("Call-backs drawn"),
        "recheck.outcome": _l("Call-back outcome recorded"),
        "roster.replace": _l("Roster replaced"),
        "sample.draw": _l("Sample drawn"),
        "sample.nonresponse": _l("Non-response recorded, next reserve taken"),
        "sample.nonresponse_undo": _l("Non-response taken back"),
        "submission.create": _l("Record received"),
        "appeal.accepted": _l("Finding accepted by the unit"),
        "appeal.contested": _l("Finding contested by the unit"),
        "appeal.upheld": _l("Appeal upheld"),
        "appeal.rejected": _l("Appeal rejected"),
        "evaluation.rubric": _l("Rubric version changed"),
        "feedback.publish": _l("Findings published to the unit"),
        "programme.create": _l("Programme created"),
        "programme.import": _l("Programme units imported"),
        "programme.unit": _l("Unit added to a programme"),
        "rectification.open": _l("Rectification reopened"),
        "rectification.in_progress": _l("Rectification started"),
        "rectification.submitted": _l("Rectification submitted"),
        "rectification.verified": _l("Rectification verified"),
        "rubric.publish": _l("Rubric version published"),
        "rubric_draft.create": _l("Rubric draft created"),
        "user.activate": _l("User activated"),
        "user.create": _l("User created"),
        "user.deactivate": _l("User deactivated"),
        "user.invite": _l("User invited"),
        "user.password_change": _l("Password changed"),
        "user.password_reset": _l("Password reset"),
        "user.role": _l("User role changed"),
        "user.unlock": _l("Sign-in lock cleared"),
        "submission.edit": _l("Record edited"),
        "submission.keep_both": _l("Record kept beside another for the lead to decide"),
        "submission.review": _l("Record reviewed"),
        "system.upload": _l("System data uploaded"),
    },
    # the feedback and appeal pages (evaluator.feedback)
    "answer": {
        "accepted": _l("Accepted"),
        "contested": _l("Contested"),
    },
    "change": {
        "withdrawn": _l("finding withdrawn"),
        "changed": _l("finding changed"),
    },
    "rect": {
        "open": _l("open"),
        "in_progress": _l("in progress"),
        "submitted": lazy_pgettext("rectification", "submitted"),
        "verified": _l("verified closed"),
    },
    "rect_move": {
        "open_in_progress": _l("Start working on it"),
        "open_submitted": _l("Submit as done"),
        "in_progress_submitted": _l("Submit as done"),
        "submitted_verified": _l("Verified: close it"),
        "submitted_in_progress": _l("Send back"),
    },
    # how a programme-level indicator is pooled (evaluator.programmes)
    "pooling": {
        "weighted_mean": _l("frame-weighted mean of units"),
        "counts": _l("counts over units"),
        "design": _l("pooled design"),
    },
    # what a job says it is doing (evaluator.jobs.tasks: progress(fraction, step))
    "job_step": {
        "queued": _l("waiting for its turn"),
        "scoring": _l("scoring the data"),
        "rendering": _l("making the PDF"),
        "done": _l("ready"),
    },
    "object": {
        "evaluation": _l("Evaluation"),
        "programme": _l("Programme"),
        "rubric": _l("Rubric"),
        "rubric_draft": _l("Rubric draft"),
        "finding": _l("Finding"),
        "judgement": _l("Judgement score"),
        "recheck": _l("Call-back"),
        "stratum": _l("Stratum"),
        "submission": _l("Record"),
        "user": _l("User"),
    },
}


def label(kind: str, code: object) -> str:
    """A stored code in the page's language; an unknown code is shown as it is, an empty one
    as a dash. ``kind`` is a key of ``VOCABULARY``."""
    if code is None or code == "":
        return "–"
    memo = g.setdefault("_labels", {}) if g else {}  # a list page asks for the same few often
    key = (kind, code)
    if key not in memo:
        word = VOCABULARY[kind].get(str(code))
        memo[key] = str(word) if word is not None else str(code)
    return memo[key]


def choices(kind: str, codes: tuple[str, ...] | list[str] | None = None) -> list[SelectChoice]:
    """WTForms choices of a vocabulary (all codes, or ``codes`` in that order), labels lazy."""
    words = VOCABULARY[kind]
    return [SelectChoice(code, words[code]) for code in (codes if codes is not None else words)]


def request_lang() -> str:
    """The language of the request being served ("zh" outside a request, e.g. in the CLI)."""
    return (g.get("lang") if g else None) or "zh"


def register_language(app: Flask) -> None:
    """Chinese first; ``?lang=en`` switches and is remembered in the session."""
    ensure_compiled()
    default = app.config["DEFAULT_LANGUAGE"]
    if default not in LANGUAGES:
        raise ValueError(f"EVALUATOR_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALES[default])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))

    @app.before_request
    def pick_language():
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            session["lang"] = asked
        lang = session.get("lang", default)
        g.lang = lang if lang in LANGUAGES else default

    Babel(app, locale_selector=lambda: LOCALES[g.get("lang") or default])

    @app.context_processor
    def language_helpers():
        lang = g.get("lang", default)
        return {"lang": lang, "label": label, "switch_language_url": switch_language_url}

    app.add_template_filter(_datetime_filter, "datetime")
    app.add_template_filter(_date_filter, "date")
    app.add_template_filter(_number_filter, "number")


def switch_language_url() -> str:
    """This page in the other language, keeping its query string (filters, page, search)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = ["zh" if g.get("lang") == "en" else "en"]
    from urllib.parse import urlencode

    return request.path + "?" + urlencode(args, doseq=True)


def _datetime_filter(value: datetime | str | None, zone: str | None = None) -> str:
    """A timestamp in the page's locale, in ``zone`` (the evaluation's time zone; the app's
    default otherwise). Naive values are UTC, as the database stores them."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    value = value.astimezone(ZoneInfo(zone or current_app.config.get("TIME_ZONE", "UTC")))
    local = value.replace(tzinfo=None)  # already in the zone: Babel must not shift it again
    return f"{format_date(local, 'medium', rebase=False)} {format_time(local, 'short', rebase=False)}"


def _date_filter(value: date | str | None) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    return format_date(value, "medium")


def _number_filter(value: float | int | None, places: int | None = None) -> str:
    if value is None:
        return "–"
    if places is None:
        return format_decimal(value)
    return format_decimal(value, format="#,##0." + "0" * places if places else "#,##0")
