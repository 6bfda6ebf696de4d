"""The application factory: ``create_app(config=None)`` built from small ``register_*`` steps."""

from __future__ import annotations

from flask import Flask, g, session
from flask_babel import lazy_gettext as _l

from evaluator.config import load_config
from evaluator.db import make_engine, make_sessionmaker
from evaluator.extensions import COMPRESS_SETTINGS, compress, csrf, db_session, login_manager
from evaluator.paths import PACKAGE_DIR, TEMPLATES_DIR
from evaluator.web.errors import register_error_pages
from evaluator.web.headers import register_security_headers
from evaluator.web.i18n import register_language
from evaluator.web.limits import register_limits


def create_app(config: dict | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    app.config.update(settings)
    register_database(app)
    register_operations(app)
    register_extensions(app)
    register_language(app)
    register_limits(app)
    register_error_pages(app)
    register_blueprints(app)
    register_security_headers(app)
    return app


def register_operations(app: Flask) -> None:
    """Job queue, request logs with a request id, health checks, static files, proxy headers
    (evaluator.ops and evaluator.jobs)."""
    from evaluator.jobs import queue_from_config
    from evaluator.ops.health import bp as health_bp
    from evaluator.ops.requests import log_requests
    from evaluator.ops.web import serve_static, trust_proxy

    app.extensions["evaluator.jobs"] = queue_from_config(app)
    log_requests(app)
    app.register_blueprint(health_bp)
    serve_static(app)
    trust_proxy(app)


def register_database(app: Flask) -> None:
    from evaluator.storage import storage_from_url, track_rollbacks

    engine = make_engine(app.config["DATABASE_URL"], pool_size=app.config["DATABASE_POOL_SIZE"],
                         max_overflow=app.config["DATABASE_MAX_OVERFLOW"],
                         busy_timeout=app.config["SQLITE_BUSY_TIMEOUT"])
    app.extensions["evaluator.engine"] = engine
    app.extensions["evaluator.sessionmaker"] = make_sessionmaker(engine)
    app.extensions["evaluator.storage"] = storage_from_url(app.config.get("STORAGE_URL"),
                                                           app.instance_path)
    track_rollbacks(app.extensions["evaluator.sessionmaker"])

    @app.after_request
    def commit_once(response):
        """One commit per request; a failed request (4xx/5xx) writes nothing."""
        db = g.pop("db_session", None)
        if db is not None:
            try:
                if response.status_code < 400:
                    db.commit()
                else:
                    db.rollback()
            finally:
                db.close()
        return response

    @app.teardown_appcontext
    def close_session(_exc):
        db = g.pop("db_session", None)
        if db is not None:
            db.rollback()
            db.close()


def register_extensions(app: Flask) -> None:
    from evaluator.auth.models import User
    from evaluator.auth.views import SESSION_VERSION_KEY

    csrf.init_app(app)
    for key, value in COMPRESS_SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in.")

    @login_manager.user_loader
    def load_user(user_id: str):
        """The signed-in user, if the session is still theirs: an active user whose session
        version is the one this session signed in under (sign-out, a new password or
        deactivation move it on, ending every older session)."""
        if not user_id.isdigit() or len(user_id) > 10:
            return None
        user = db_session().get(User, int(user_id))
        if user is None or not user.active or session.get(SESSION_VERSION_KEY) != \
                user.session_version:
            return None
        return user


def register_blueprints(app: Flask) -> None:
    from evaluator.auth.views import bp as auth_bp
    from evaluator.feedback.views import bp as feedback_bp
    from evaluator.fieldwork.blueprint import bp as fieldwork_bp
    from evaluator.fieldwork.collect.api import bp as api_bp
    from evaluator.jobs.views import bp as jobs_bp
    from evaluator.people.views import bp as people_bp
    from evaluator.programmes.views import bp as programmes_bp
    from evaluator.studio.blueprint import bp as studio_bp
    from evaluator.surveys_web.blueprint import bp as surveys_bp
    from evaluator.web.views import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(fieldwork_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(programmes_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(people_bp)
