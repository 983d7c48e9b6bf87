"""The parts of the search index the ORM does not describe: SQLite's FTS5 table and PostgreSQL's tsvector.

Migration 0005 runs `create_engine_parts`; autogenerate and the models-versus-migrations test skip what
`include_object` names, so they do not offer to drop them.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "search_fts"
TSV_COLUMN = "tsv"
TSV_INDEX = "ix_search_documents_tsv"

SQLITE_PARTS = (
    # External content: the words live once, in search_documents.folded; porter stems English, unicode61
    # folds case and (remove_diacritics 2) macrons.
    "CREATE VIRTUAL TABLE search_fts USING fts5(folded, content='search_documents', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE OF folded ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); "
    "INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
POSTGRES_PARTS = (
    # English stems and `simple` words as written (te reo Māori is not stemmed as English); the text is
    # already folded, so macrons never stop a match.
    f"ALTER TABLE search_documents ADD COLUMN {TSV_COLUMN} tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, folded) || to_tsvector('simple'::regconfig, folded)) STORED",
    f"CREATE INDEX {TSV_INDEX} ON search_documents USING gin ({TSV_COLUMN})",
)
POSTGRES_DROP = (
    f"DROP INDEX IF EXISTS {TSV_INDEX}",
    f"ALTER TABLE search_documents DROP COLUMN IF EXISTS {TSV_COLUMN}",
)


def create_engine_parts(execute: Any, dialect: str) -> None:
    for statement in (
        SQLITE_PARTS if dialect == "sqlite" else POSTGRES_PARTS if dialect == "postgresql" else ()
    ):
        execute(statement)


def drop_engine_parts(execute: Any, dialect: str) -> None:
    for statement in SQLITE_DROP if dialect == "sqlite" else POSTGRES_DROP if dialect == "postgresql" else ():
        execute(statement)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """For Alembic: leave the engine-specific search parts out of autogenerate's comparison."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    if type_ == "column" and name == TSV_COLUMN and getattr(obj.table, "name", "") == "search_documents":
        return False
    return not (type_ == "index" and name == TSV_INDEX)
