"""The configured transports, set once at start-up (like the payment processor).

Email goes over SMTP and SMS through a provider's HTTP API when they are configured; otherwise
(and for practices that switched the development channel on) the message is stored instead of
sent, so ``make run`` shows what would have gone out. Production never falls back silently: a
missing transport fails the message with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

TlsMode = Literal["none", "starttls", "tls"]


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 587
    tls: TlsMode = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0
    ca_file: str | None = None  # a private CA (tests: the local server's self-signed certificate)
    pool_size: int = 10  # open sessions kept per process (services/messaging/smtp_pool.py)
    messages_per_connection: int = 100
    idle_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    from_number: str | None = None
    api_base: str = "https://api.twilio.com"
    status_callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class MessagingConfig:
    production: bool = False
    mail_from: str = "AES CRM <no-reply@localhost>"
    public_url: str = "http://127.0.0.1:8000"
    smtp: SmtpConfig | None = None
    twilio: TwilioConfig | None = None
    secret_key: str = field(default="dev-insecure-secret-key-change-me-0123456789", repr=False)


@dataclass(frozen=True, slots=True)
class OutboundEmail:
    message_id: str  # the RFC 5322 Message-ID, decided before sending (the provider id)
    sender: str
    to: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, str] = field(default_factory=dict)
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundSms:
    to: str
    body: str
    sender: str | None


class TransientSendError(Exception):
    """The transport said "try again later" (SMTP 4xx, HTTP 429/5xx, a timeout)."""


class PermanentSendError(Exception):
    """The transport refused the message for good (SMTP 5xx, a bad number)."""


class EmailTransport(Protocol):
    name: str

    async def send(self, email: OutboundEmail) -> str:
        """Send; the provider's id of the message."""
        ...

    async def close(self) -> None:
        """Let go of open connections (at shutdown)."""
        ...

    def drop(self) -> None:
        """Close open connections at once, without a goodbye (a reconfiguration)."""
        ...


class SmsTransport(Protocol):
    name: str

    async def send(self, sms: OutboundSms) -> str: ...


_config = MessagingConfig()
_email: EmailTransport | None = None  # one per process: it keeps SMTP sessions open


def configure(config: MessagingConfig) -> None:
    global _config, _email
    _config = config
    if _email is not None:
        _email.drop()
    _email = None


def config() -> MessagingConfig:
    return _config


def email_transport() -> EmailTransport | None:
    global _email
    if _email is None and _config.smtp is not None:
        from services.messaging.smtp import SmtpTransport

        _email = SmtpTransport(_config.smtp)
    return _email


async def close() -> None:
    """Close the open SMTP sessions (the server's and the worker's shutdown)."""
    if _email is not None:
        await _email.close()


def sms_transport() -> SmsTransport | None:
    from services.messaging.twilio import TwilioTransport

    return TwilioTransport(_config.twilio) if _config.twilio is not None else None


__all__ = [
    "EmailTransport",
    "MessagingConfig",
    "OutboundEmail",
    "OutboundSms",
    "PermanentSendError",
    "SmsTransport",
    "SmtpConfig",
    "TransientSendError",
    "TwilioConfig",
    "close",
    "config",
    "configure",
    "email_transport",
    "sms_transport",
]
