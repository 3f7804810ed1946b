"""The outbox sender: e-mail written by other transactions (a recall's notices) goes
out through SMTP here, one message per transaction.

A message is claimed with FOR UPDATE SKIP LOCKED, so workers side by side never take
the same one, sent, and marked sent in the transaction that claimed it. A worker that
dies between the SMTP server's answer and the commit leaves the message pending and
it is sent again: at least once, never lost, and every copy carries the same
Message-ID, derived from the outbox row, for the receiver to fold them. A failure is
tried again after an exponential back-off and given up after MAIL_MAX_ATTEMPTS.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import text

from ..db import transaction

log = logging.getLogger(__name__)

# clock_timestamp(), not now(): a long-running worker's "now" is the wall clock.
CLAIM = text("""
    SELECT id, recipient, subject, body FROM outbox
    WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
    ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED""")
SENT = text("""
    UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = clock_timestamp(),
           last_error = NULL
    WHERE id = :id""")
# attempts on the right is the count before this one: waits of 1, 2, 4 … × the base.
RETRY = text("""
    UPDATE outbox SET attempts = attempts + 1, last_error = :error,
           status = CASE WHEN attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END,
           next_attempt_at = clock_timestamp()
                             + make_interval(secs => :base * power(2, least(attempts, 20)))
    WHERE id = :id""")

# Failures of the connection (the server is down, refuses us, or hung up) end the
# round; others (a recipient refused) concern one message only.
SERVER_ERRORS = (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected,
                 smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError,
                 smtplib.SMTPNotSupportedError)
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

_said_unconfigured = False


def send_due(limit: int = 50) -> int:
    """Send up to `limit` messages that are due; return how many went out. Without a
    usable SMTP_URL nothing is claimed and the messages wait (said once in the log)."""
    config = current_app.config
    try:
        server = _Server(config.get("SMTP_URL") or "", config["SMTP_TIMEOUT_SECONDS"])
    except ValueError as exc:
        _say_unconfigured(str(exc))
        return 0
    sent = 0
    try:
        for _n in range(limit):
            with transaction() as s:
                row = s.execute(CLAIM).first()
                if row is None:
                    break
                try:
                    server.send(_message(row, config["MAIL_FROM"]))
                except OSError as exc:    # smtplib's errors are OSErrors too
                    s.execute(RETRY, {"id": row.id, "error": f"{type(exc).__name__}: {exc}"[:500],
                                      "max_attempts": config["MAIL_MAX_ATTEMPTS"],
                                      "base": config["MAIL_RETRY_SECONDS"]})
                    log.warning("e-mail %s to %s not sent: %s", row.id, row.recipient, exc)
                    if _server_down(exc):
                        break
                    continue
                s.execute(SENT, {"id": row.id})
                sent += 1
    finally:
        server.close()
    return sent


def _server_down(exc: OSError) -> bool:
    return isinstance(exc, SERVER_ERRORS) or not isinstance(exc, smtplib.SMTPException)


def _say_unconfigured(why: str) -> None:
    global _said_unconfigured
    if not _said_unconfigured:
        log.warning("e-mail stays in the outbox: %s", why)
        _said_unconfigured = True


def _message(row, sender: str) -> EmailMessage:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<outbox-{row.id}@{domain}>"
    message.set_content(row.body)
    return message


class _Server:
    """One SMTP connection for a round, opened on the first message."""

    def __init__(self, url: str, timeout: float):
        if not url:
            raise ValueError("SMTP_URL is not set")
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(f"SMTP_URL must be smtp://, smtp+starttls:// or smtps://host, "
                             f"not {parts.scheme or '?'}://…")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or SCHEMES[parts.scheme]
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.timeout = timeout
        self.client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.client is None:
            self.client = self._connect()
        self.client.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
        if self.user:
            client.login(self.user, self.password)
        return client

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except OSError:
                self.client.close()   # the server went away first: nothing to say goodbye to
            self.client = None
