"""Email over SMTP with aiosmtplib: implicit TLS or STARTTLS, optional authentication.

A 4xx answer (greylisting, "mailbox busy", 451 local error), a dropped connection or a timeout
is transient: the job retries. A 5xx answer to the recipient or the data is permanent. The
Message-ID is chosen before sending and returned as the provider id, so a retry after a crash
re-sends the same Message-ID (receiving servers and clients fold duplicates on it).
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from services.messaging.channels import (
    OutboundEmail,
    PermanentSendError,
    SmtpConfig,
    TransientSendError,
)


def build(email: OutboundEmail) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML part preferred."""
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.message_id
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


def _tls_context(config: SmtpConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=config.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _transient(code: int) -> bool:
    return 400 <= code < 500


class SmtpTransport:
    name = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, email: OutboundEmail) -> str:
        config = self.config
        secure = config.tls != "none"
        try:
            await aiosmtplib.send(
                build(email),
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.tls == "tls",
                start_tls=config.tls == "starttls",
                tls_context=_tls_context(config) if secure else None,
                timeout=config.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            if codes and all(_transient(code) for code in codes):
                raise TransientSendError(f"SMTP {codes[0]}: recipient deferred") from exc
            raise PermanentSendError(f"SMTP {codes[0] if codes else 550}: refused") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise TransientSendError(f"SMTP {exc.code}: authentication failed") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if _transient(exc.code):
                raise TransientSendError(f"SMTP {exc.code}: deferred") from exc
            raise PermanentSendError(f"SMTP {exc.code}: refused") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # connect, timeout, disconnect
            raise TransientSendError(f"SMTP unavailable: {type(exc).__name__}") from exc
        return email.message_id


__all__ = ["SmtpTransport", "build"]
