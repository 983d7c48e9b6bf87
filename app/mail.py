"""Outgoing mail: SMTP when MAIL_SERVER is set; otherwise the log and instance/outbox/ (the development default).

Tests and developers follow links by reading instance/outbox/*.eml, one file per message, named so that they
sort in the order they were sent.
"""

from __future__ import annotations

import itertools
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from app.models.base import utcnow

_sequence = itertools.count(1)


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from MAIL_FROM (header values holding line breaks are refused by `email`)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="korero")
    message.set_content(body)
    return message


def outbox_path() -> Path:
    return Path(current_app.instance_path) / "outbox"


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; return False (and log why) if it could not be sent."""
    message = build_message(to, subject, body)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _write_to_outbox(message)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("Could not send mail %r to %s", subject, to)
        return False
    return True


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""  # type: ignore[attr-defined]


def _write_to_outbox(message: EmailMessage) -> bool:
    folder = outbox_path()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{next(_sequence):06d}.eml"
    (folder / name).write_bytes(bytes(message))
    if current_app.config.get("ENV") == "production":
        current_app.logger.warning("MAIL_SERVER is not set: mail to %s kept in %s", message["To"], folder)
    else:
        current_app.logger.info(
            "Mail (not sent; MAIL_SERVER is not set) to %s: %s\n%s",
            message["To"],
            message["Subject"],
            _plain_text(message),
        )
    return True


class Postman:
    """One SMTP connection (or the outbox folder) for many messages: what the queue worker sends through."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Postman:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send one message; raise (smtplib.SMTPException or OSError) if it could not go."""
        if not self.config.get("MAIL_SERVER"):
            _write_to_outbox(message)
            return
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            try:
                self.smtp.send_message(message)
            except smtplib.SMTPServerDisconnected:
                self.smtp = self._connect()  # an idle connection the server closed: once more on a new one
                self.smtp.send_message(message)
        except (smtplib.SMTPException, OSError):
            self.__exit__()  # the connection may be in any state: the next message starts a new one
            raise
