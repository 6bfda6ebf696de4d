"""Styled error pages (400, 403, 404, 405, 413, 500) in the page's language, with a way back.

The submissions API answers in JSON instead (``evaluator.fieldwork.collect.api``); it hands
every other path here.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, render_template, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def explanations() -> dict[int, tuple[str, str]]:
    return {
        400: (gettext("Bad request"),
              gettext("The page sent something the server could not use. Go back and try again.")),
        403: (gettext("Not allowed"),
              gettext("Your account cannot open this page. Ask the team lead or an administrator "
                      "if you need it.")),
        404: (gettext("Page not found"),
              gettext("There is nothing at this address. It may have been moved or removed.")),
        405: (gettext("Not allowed here"),
              gettext("This page cannot be used that way. Go back and use the page's buttons.")),
        413: (gettext("Upload too large"),
              gettext("The file is larger than the server accepts. Send a smaller file.")),
        500: (gettext("Something went wrong"),
              gettext("The server could not finish this request and nothing was saved. Try again; "
                      "if it happens again, tell an administrator the time it happened.")),
    }


def _back_url() -> str | None:
    """The referring page when it is on this site (never an outside address)."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if referrer and parts.netloc == request.host and parts.path != request.path:
        return referrer
    return None


def error_page(exc: HTTPException):
    code = exc.code or 500
    title, text = explanations().get(code, (exc.name, exc.description or ""))
    try:
        body = render_template("error.html", code=code, title=title, text=text,
                               back_url=_back_url(), home_url=url_for("web.home"))
    except Exception:  # the page itself failed (e.g. the database is down): plain text
        log.exception("error page %s could not be rendered", code)
        body = f"{code} {title}\n{text}\n"
    allowed = getattr(exc, "valid_methods", None)
    headers = {"Allow": ", ".join(sorted(allowed))} if code == 405 and allowed else {}
    return body, code, headers


def register_error_pages(app: Flask) -> None:
    for code in (400, 403, 405, 413):
        app.register_error_handler(code, error_page)

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        return error_page(exc)
