"""The schema comes from migrations, and the models never run ahead of them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db
from app.models import Base

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_models_and_migrations_agree(app):
    from app.analysis.schema import include_object

    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "include_object": include_object}
    )
    differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ: run `flask db migrate`: {differences}"


def test_database_is_at_head_and_history_is_linear(app):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "migrations have branched: merge or re-chain them"
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    assert current == script.get_current_head()


def leading_columns(table: sa.Table) -> set[tuple[str, ...]]:
    """Every column prefix that some index, unique constraint or the primary key of `table` can look up by."""
    keys = [tuple(column.name for column in index.columns) for index in table.indexes]
    keys += [
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint)
    ]
    return {key[:n] for key in keys for n in range(1, len(key) + 1)}


def test_every_foreign_key_has_an_index():
    # Without one, deleting a user or a version scans the referencing table (ON DELETE SET NULL / CASCADE),
    # and PostgreSQL, unlike MySQL, never adds one by itself.
    missing = [
        f"{table.name}.{', '.join(constraint.column_keys)}"
        for table in Base.metadata.sorted_tables
        for constraint in table.foreign_key_constraints
        if tuple(constraint.column_keys) not in leading_columns(table)
    ]
    assert missing == [], f"foreign keys without an index (add index=True and a migration): {missing}"
