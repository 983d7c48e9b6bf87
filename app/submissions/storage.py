"""Where attachments live: outside the static folder, under their content hash, written atomically.

Files are named by the SHA-256 of their bytes, so nothing a person typed (the file's name) reaches the file
system, the same file sent twice is stored once, and a name can never be guessed to reach another file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_files: int
    extract_inline_bytes: int
    post_grace_days: int

    @property
    def max_request(self) -> int:
        # Every file at its largest, plus room for the form's text fields.
        return self.max_bytes * self.max_files + 2 * MB


def limits() -> Limits:
    config = current_app.config
    return Limits(
        max_bytes=int(config.get("SUBMISSIONS_MAX_ATTACHMENT_BYTES", 10 * MB)),
        max_files=int(config.get("SUBMISSIONS_MAX_ATTACHMENTS", 5)),
        extract_inline_bytes=int(config.get("SUBMISSIONS_EXTRACT_INLINE_BYTES", 1 * MB)),
        post_grace_days=int(config.get("SUBMISSIONS_POST_GRACE_DAYS", 7)),
    )


def folder() -> Path:
    configured = current_app.config.get("SUBMISSIONS_ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_for(digest: str) -> Path:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("not a content hash")
    return folder() / digest[:2] / digest


def store(data: bytes) -> str:
    """Write `data` under its hash (once) and return the hash."""
    digest = content_hash(data)
    target = path_for(digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o640)  # never executable
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest


def read(digest: str) -> bytes:
    return path_for(digest).read_bytes()
