"""Static files and proxy headers for a production start.

Static files: WhiteNoise serves ``evaluator/static`` with gzip and brotli versions made once
at start (in the instance folder) and ``Cache-Control: max-age=315360000, public, immutable``
(WhiteNoise's "forever"); every static URL the app makes carries ``?v=<content hash>`` of its
file, so a changed file gets a new URL and caching for good is safe. A reverse proxy in front may serve ``/static/`` itself
instead (README, Deploying); then these headers are what it should copy.

Proxy headers: with ``PROXY_COUNT`` = N > 0 (the number of proxies in front, usually 1),
werkzeug's ProxyFix trusts the last N ``X-Forwarded-For/-Proto/-Host/-Prefix`` values, so
request logs, login throttling and secure cookies see the client and the https scheme. Never
set it without a proxy in front: a client could then fake its address.
"""

from __future__ import annotations

import hashlib
import shutil
from functools import lru_cache
from pathlib import Path

from flask import Flask


def serve_static(app: Flask) -> None:
    folder = Path(app.static_folder or "")

    @lru_cache(maxsize=256)
    def version(filename: str) -> str:
        try:
            return hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:12]
        except OSError:
            return "0"

    @app.url_defaults
    def versioned_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = version(values["filename"])

    if not app.config.get("STATIC_COMPRESS"):
        return
    from whitenoise import WhiteNoise

    built = prepare_static(folder, Path(app.instance_path) / "static-built")
    app.wsgi_app = WhiteNoise(app.wsgi_app, root=str(built), prefix="static/",
                              max_age=app.config["STATIC_MAX_AGE"], autorefresh=False,
                              allow_all_origins=False,
                              immutable_file_test=lambda _path, _url: True)


def prepare_static(source: Path, target: Path) -> Path:
    """A copy of the static files with ``.gz`` and ``.br`` siblings (WhiteNoise's compressor),
    remade only for files that changed (several workers starting at once each write whole
    files by rename, so they agree)."""
    from whitenoise.compress import Compressor

    compressor = Compressor(quiet=True)
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        copy = target / path.relative_to(source)
        data = path.read_bytes()
        if copy.is_file() and copy.read_bytes() == data:
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_name(f".{copy.name}.tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(copy)
        if compressor.should_compress(str(copy)):
            for _ in compressor.compress(str(copy)):
                pass
    return target


def trust_proxy(app: Flask) -> None:
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_prefix=count)
