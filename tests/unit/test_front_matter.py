"""Front matter: the error type, hostile YAML (aliases, tags, nesting, size), dates out of range, wrong types."""

from __future__ import annotations

import pytest

from app.drafts.parsing import DraftParseError, parse_draft
from app.exceptions import DomainError, InputError

BODY = "## S\n\nText.\n"


def draft(front: str) -> str:
    return f"---\ntitle: T\nversion: V\nstatus: published\n{front}---\n{BODY}"


def refused(front: str) -> DraftParseError:
    with pytest.raises(DraftParseError) as raised:
        parse_draft(draft(front), "bad.md")
    return raised.value


# --- the error type ----------------------------------------------------------------------------------


def test_draft_parse_error_is_an_input_error_with_its_place():
    error = DraftParseError("bad thing", "x.md", 7)
    assert isinstance(error, InputError)
    assert isinstance(error, DomainError)
    assert isinstance(error, ValueError)  # callers written before DomainError still catch it
    assert error.status == 422
    assert (error.message, error.source, error.line) == ("bad thing", "x.md", 7)
    assert str(error) == "x.md:7: bad thing"
    assert str(DraftParseError("no line", "y.md")) == "y.md: no line"
    assert str(DraftParseError("default")) == "<string>: default"
    assert error.problem()["status"] == 422
    assert error.problem()["line"] == 7
