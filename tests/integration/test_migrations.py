"""The schema comes from migrations, and the models never run ahead of them."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db
from app.models import Base

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_models_and_migrations_agree(app):
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ: run `flask db migrate`: {differences}"


def test_database_is_at_head_and_history_is_linear(app):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "migrations have branched: merge or re-chain them"
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    assert current == script.get_current_head()
