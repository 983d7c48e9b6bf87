"""Reading the mail the app sent: the outbox queue is drained, then instance/outbox/*.eml is read."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

LINK = re.compile(r"https?://[^\s<>\"]+")


class Outbox:
    """The mail written to instance/outbox/ since the test began (after `deliver()` drained the queue)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.before = set(folder.glob("*.eml")) if folder.exists() else set()

    def deliver(self) -> int:
        """Run the queue worker once, as `flask notify work --once` would."""
        from app.notify.queue import drain

        return drain()

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        found = []
        paths = set(self.folder.glob("*.eml")) if self.folder.exists() else set()
        for path in sorted(paths - self.before):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or message["To"] == to:
                found.append(message)  # type: ignore[arg-type]
        return found

    def text(self, message: EmailMessage) -> str:
        part = message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def html(self, message: EmailMessage) -> str:
        part = message.get_body(("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def links(self, message: EmailMessage) -> list[str]:
        return LINK.findall(self.text(message))
