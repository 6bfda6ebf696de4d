"""Configuration from environment variables, with safe defaults for the embedded set-up.

Every setting can be given as ``EVALUATOR_<NAME>`` in the environment; ``create_app(config)``
overrides win over the environment (tests use that). The secret key is generated once into
``instance/secret_key`` so sessions survive restarts without anyone choosing a weak key.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from evaluator.paths import PACKAGE_DIR

DEFAULT_INSTANCE = PACKAGE_DIR.parent / "instance"


def instance_path() -> Path:
    return Path(os.environ.get("EVALUATOR_INSTANCE_PATH", DEFAULT_INSTANCE)).resolve()


#: Settings read from the environment as whole numbers (a clear error otherwise).
WHOLE_NUMBERS = {"QUEUE_THREADS", "REPORT_WAIT", "PROXY_COUNT", "DATABASE_POOL_SIZE",
                 "DATABASE_MAX_OVERFLOW", "SQLITE_BUSY_TIMEOUT", "UPLOAD_TIMEOUT_SECONDS"}


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config: defaults < environment < ``overrides``."""
    overrides = dict(overrides or {})
    folder = Path(overrides.get("INSTANCE_PATH") or instance_path())
    config: dict = {
        "INSTANCE_PATH": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'evaluator.sqlite3'}",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A sign-in lasts SESSION_HOURS (a field day with its evening sync); the CSRF token of
        # a page lives as long, so a page never outlives its session's token or vice versa.
        "SESSION_HOURS": 12,
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "DEFAULT_LANGUAGE": "zh",
        "STORAGE_URL": "",
        "QUEUE_URL": "",
        "QUEUE_THREADS": 1,
        "REPORT_WAIT": 60,
        "PROXY_COUNT": 0,
        "STATIC_MAX_AGE": 365 * 24 * 3600,
        "DATABASE_POOL_SIZE": 5,
        "DATABASE_MAX_OVERFLOW": 5,
        "SQLITE_BUSY_TIMEOUT": 30,
        "REQUEST_LOG": False,
        # The session cookie is written only when the session changes: with a lasting session,
        # rewriting it on every response let the service worker's background fetches (started
        # before a language switch) put the old session back.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "UPLOAD_TIMEOUT_SECONDS": 30,
        "TIME_ZONE": "Asia/Shanghai",
        # Map tiles (a URL template such as 天地图's); empty: points on a blank base.
        "MAP_TILES": "",
        "MAP_ATTRIBUTION": "",
    }
    for key in ("DATABASE_URL", "SECRET_KEY", "SESSION_COOKIE_SECURE", "DEFAULT_LANGUAGE",
                "SESSION_HOURS", "STORAGE_URL", "QUEUE_URL", "QUEUE_THREADS", "REPORT_WAIT",
                "PROXY_COUNT", "DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW",
                "SQLITE_BUSY_TIMEOUT", "REQUEST_LOG", "UPLOAD_TIMEOUT_SECONDS",
                "TIME_ZONE", "MAP_TILES", "MAP_ATTRIBUTION"):
        value = os.environ.get(f"EVALUATOR_{key}")
        if value is None:
            continue
        if key in WHOLE_NUMBERS:
            if not value.strip().isdigit():
                raise ValueError(f"EVALUATOR_{key}={value!r}: a whole number is needed")
            config[key] = int(value)
        else:
            config[key] = _typed(value)
    config.update(overrides)
    lifetime = timedelta(hours=float(config["SESSION_HOURS"]))
    config.setdefault("PERMANENT_SESSION_LIFETIME", lifetime)
    config.setdefault("WTF_CSRF_TIME_LIMIT", int(lifetime.total_seconds()))
    config.setdefault("BABEL_DEFAULT_TIMEZONE", config["TIME_ZONE"])
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _stored_secret_key(Path(config["INSTANCE_PATH"]))
    return config


def _typed(value: str):
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return value


def _stored_secret_key(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()
