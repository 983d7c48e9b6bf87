"""Kōrero: draft a policy in the open; the public comments on it clause by clause."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.boundary import Korero
from app.config import load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI and error handlers."""
    settings = load_config(config)
    app = Korero(__name__, instance_path=settings["INSTANCE_PATH"])
    app.config.update(settings)
    from app.access import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from app import security
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from app.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    from app.models import Anonymous

    login_manager.anonymous_user = Anonymous
    from app.auth import loader  # noqa: F401 - registers the user loader
    from app.i18n import init_app as init_i18n

    init_i18n(app)
    security.init_app(app)
    from app import caching

    caching.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.drafts.views import bp as drafts_bp

    app.register_blueprint(drafts_bp)

    from app.pdf import init_app as init_pdf

    init_pdf(app)  # the "pdf" blueprint, its settings and `flask pdf`

    from app.auth.views import bp as auth_bp

    app.register_blueprint(auth_bp)

    from app.comments.views import bp as comments_bp

    app.register_blueprint(comments_bp)
    from app.comments import admission

    admission.init_app(app)  # the bounded queue for comment writers gives each turn back as its request ends

    from app.moderation.admin import bp as admin_bp
    from app.moderation.views import bp as moderation_bp
    from app.privacy.views import bp as privacy_bp

    app.register_blueprint(moderation_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)

    from app.diffing.views import bp as diffing_bp
    from app.drafting.views import bp as drafting_bp
    from app.responses.views import bp as responses_bp

    app.register_blueprint(drafting_bp)

    from app.consultations.views import bp as consultations_bp

    app.register_blueprint(consultations_bp)
    app.register_blueprint(diffing_bp)
    app.register_blueprint(responses_bp)

    from app.review.views import bp as review_bp

    app.register_blueprint(review_bp)

    from app.site.views import bp as site_bp

    app.register_blueprint(site_bp)  # accessibility statement, contact, favicon, the footer's links
    from app.notify.views import bp as notify_bp

    app.register_blueprint(notify_bp)
    from app.api import init_app as init_api

    init_api(app)  # /api/v1 (OpenAPI at /api/v1/openapi.json), tokens, exports, feeds, Akoma Ntoso
    from app.intake.views import bp as intake_bp
    from app.submissions.views import bp as submissions_bp

    app.register_blueprint(submissions_bp)
    app.register_blueprint(intake_bp)
    from app.events.views import bp as events_bp

    app.register_blueprint(events_bp)  # engagement events and their "what we heard" summaries (staff)
    from app.intake.jobs import init_app as init_intake_jobs

    init_intake_jobs(app)  # where web table imports run: inline (tests), RQ or a worker thread
    from app.analysis import init_app as init_analysis

    init_analysis(app)  # the workbench, its search index listener, jobs and `flask analysis`

    from app.observability import init_app as init_observability

    init_observability(app)  # /healthz, /readyz, /metrics, request ids, JSON logs


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from app.cli import init_app

    init_app(app)
