"""Email over SMTP with aiosmtplib: implicit TLS or STARTTLS, optional authentication.

A 4xx answer (greylisting, "mailbox busy", 451 local error), a dropped connection or a timeout
is transient: the job retries. A 5xx answer to the recipient or the data is permanent. The
Message-ID is chosen before sending and returned as the provider id, so a retry after a crash
re-sends the same Message-ID (receiving servers and clients fold duplicates on it).

Sessions are kept open between messages (``smtp_pool``). The message is built with the
``compat32`` MIME classes, not ``EmailMessage``: the modern policy parses and re-folds every
header through ``headerregistry`` and cost four times as much per message (bench/reminders.py);
everything is 7-bit clean (quoted-printable bodies, RFC 2047 headers), so no server needs
8BITMIME or SMTPUTF8 for it.
"""

from __future__ import annotations

import asyncio
import socket
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import formatdate, parseaddr

import aiosmtplib

from services.messaging.channels import (
    OutboundEmail,
    PermanentSendError,
    SmtpConfig,
    TransientSendError,
)
from services.messaging.smtp_pool import SmtpPool, tls_context

# SMTP's line ends, and no folding below RFC 5322's 998: a folded List-Unsubscribe URL reads
# back with a leading space in some parsers.
_WIRE = compat32.clone(linesep="\r\n", max_line_length=998)
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # readable in any client's "show source", unlike base64


def _header(value: str) -> str:
    """RFC 2047 encoded words for a non-ASCII value (a subject with "£", a practice's name)."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _part(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, _UTF8)
    return part


def build(email: OutboundEmail) -> bytes:
    """A multipart/alternative message (the plain text first, the HTML part preferred)."""
    message: MIMEMultipart | MIMENonMultipart
    if email.html is None:
        message = _part(email.text, "plain")
    else:
        message = MIMEMultipart("alternative")
        message.attach(_part(email.text, "plain"))
        message.attach(_part(email.html, "html"))
    message["From"] = email.sender  # formataddr already encoded a non-ASCII display name
    message["To"] = email.to
    message["Subject"] = _header(email.subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.message_id
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    for name, value in email.headers.items():
        message[name] = _header(value)
    return message.as_bytes(policy=_WIRE)


def _transient(code: int) -> bool:
    return 400 <= code < 500


class SmtpTransport:
    name = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.local_hostname: str | None = None  # looked up once (aiosmtplib asks per session)
        self.pool = SmtpPool(
            self._connect,
            size=config.pool_size,
            messages_per_connection=config.messages_per_connection,
            idle_seconds=config.idle_seconds,
        )

    async def _connect(self) -> aiosmtplib.SMTP:
        config = self.config
        if self.local_hostname is None:
            self.local_hostname = await asyncio.get_running_loop().run_in_executor(
                None, socket.getfqdn
            )
        secure = config.tls != "none"
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            local_hostname=self.local_hostname,
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            tls_context=tls_context(config.ca_file) if secure else None,
            timeout=config.timeout_seconds,
        )
        await client.connect()  # EHLO, STARTTLS and AUTH; closes itself when any fails
        return client

    async def send(self, email: OutboundEmail) -> str:
        try:
            await self.pool.sendmail(parseaddr(email.sender)[1], [email.to], build(email))
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

    async def close(self) -> None:
        await self.pool.close()

    def drop(self) -> None:
        self.pool.drop()


__all__ = ["SmtpTransport", "build"]
