"""Security headers on every response (OWASP ASVS V14.4), in one small ``after_request`` step.

The Content-Security-Policy allows scripts, styles, fonts and connections from this site only:
no inline script, no ``eval``, no plugins, and no site may frame a page (``frame-ancestors
'none'``: the review and settings forms cannot be clickjacked). Pages therefore carry their
data in ``<script type="application/json">`` islands (never executed) and their behaviour in
``static/js``. A response that inlines a stylesheet (the report preview, a standalone page)
allows exactly those ``<style>`` blocks by their hashes (``with_inline_styles``); nothing else
widens the policy. HSTS is sent only when cookies are secure, i.e. when the site is served over
HTTPS: on the plain-HTTP embedded set-up it would lock browsers out.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response

#: The policy, one directive per entry; a feature that needs more (a map's tile server) adds
#: its origin here, where a reviewer sees it.
POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

#: Tablets use the location (GPS answers), the camera and the microphone (photo and audio
#: questions) of this site only; nothing else, and never from a frame of another site.
PERMISSIONS = ("geolocation=(self), camera=(self), microphone=(self), payment=(), usb=(), "
               "serial=(), midi=(), display-capture=()")

HSTS = "max-age=31536000; includeSubDomains"

_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def policy_text(policy: dict[str, str] = POLICY) -> str:
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def with_inline_styles(response: Response, html: str) -> Response:
    """Allow this response's own ``<style>`` blocks (by their sha256), nothing more."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8"))
                                                    .digest()).decode("ascii") + "'"
                     for css in _STYLE_BLOCK.findall(html)})
    policy = dict(POLICY)
    if hashes:
        policy["style-src"] = " ".join(["'self'", *hashes])
    response.headers["Content-Security-Policy"] = policy_text(policy)
    return response


def with_sources(response: Response, directive: str, sources: Iterable[str]) -> Response:
    """Allow ``sources`` (origins) for one directive of this response only: the sample map's
    tile server for ``img-src``, say. Nothing else of the policy changes."""
    extra = sorted(set(sources))
    if extra:
        policy = dict(POLICY)
        policy[directive] = " ".join([POLICY[directive], *extra])
        response.headers["Content-Security-Policy"] = policy_text(policy)
    return response


def template_origin(url: str) -> str | None:
    """The CSP origin of a URL template such as a tile server's
    ``https://t{s}.tianditu.gov.cn/...?x={x}``: a placeholder in the first label of the host
    becomes ``*`` (``https://*.tianditu.gov.cn``); None when the URL is not http(s) or has a
    placeholder elsewhere in its host (the policy cannot say that; no widening then)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    host = ".".join(labels)
    if "{" in host or "}" in host or not re.fullmatch(r"[\w*.:-]+", host):
        return None
    return f"{parts.scheme}://{host}"


def map_tiles() -> tuple[dict[str, str], list[str]]:
    """The map pages' tiles (EVALUATOR_MAP_TILES, EVALUATOR_MAP_ATTRIBUTION; none by default:
    the maps work on a blank base) and the origins their ``img-src`` must allow. A URL the
    policy cannot express is left out, with a warning."""
    from flask import current_app

    tiles = current_app.config.get("MAP_TILES", "") or ""
    origin = template_origin(tiles) if tiles else None
    if tiles and origin is None:
        current_app.logger.warning("EVALUATOR_MAP_TILES=%r: not an http(s) URL template the "
                                   "Content-Security-Policy can allow; the map has no tiles",
                                   tiles)
        tiles = ""
    return ({"url": tiles, "attribution": current_app.config.get("MAP_ATTRIBUTION", "")},
            [origin] if origin else [])


def register_security_headers(app: Flask) -> None:
    default_policy = policy_text()

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", default_policy)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
