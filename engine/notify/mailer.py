"""Sending mail: a small interface, and SMTP behind it.

The notifier needs to tell two kinds of failure apart: the server refused *this* message or
recipient (permanent: record it and move on, never retry) and the server could not be reached
or asked us to come back later (transient: keep the notification for the next run).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType
from typing import Protocol

from engine.settings import Settings


class MailRefused(Exception):
    """The server will never take this message (bad address, 5xx)."""


class MailUnavailable(Exception):
    """The server cannot take mail now (down, 4xx, timeout): try again later."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand over one message; raise MailRefused or MailUnavailable when it fails."""
        ...

    def close(self) -> None: ...


class SmtpMailer:
    """One SMTP connection, opened on the first message and reused for the rest."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.user, self.password, self.starttls = user, password, starttls
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer | None:
        """None when no SMTP host is configured: notifications are then switched off."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            user=settings.smtp_user,
            password=settings.secret("smtp_password"),
            starttls=settings.smtp_starttls,
        )

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        try:
            self._send(message)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise MailRefused(str(exc)) from exc
            raise MailUnavailable(str(exc)) from exc
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code >= 500:
                raise MailRefused(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise MailUnavailable(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Refused sender, failed login, 4xx, timeouts: the setup or the server, not this
            # message. Nothing is recorded; the next run tries again.
            self.close()
            raise MailUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _send(self, message: EmailMessage) -> None:
        reused = self._smtp is not None
        try:
            self._connection().send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            self._connection().send_message(message)  # the server dropped an idle connection

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
