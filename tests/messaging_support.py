"""Real servers for the message tests: an aiosmtpd SMTP server (STARTTLS, AUTH, scripted 451
answers) and a local HTTP server speaking Twilio's Messages API."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.messaging import channels

SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-pass"
TWILIO_SID, TWILIO_TOKEN = "AC" + "0" * 32, "twilio-test-auth-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Mailbox:
    """What the SMTP server received; ``defer`` answers the next N DATA commands with 451."""

    received: list[EmailMessage] = field(default_factory=list)
    defer: int = 0
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 Local error in processing, try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(parsed)  # type: ignore[arg-type]
        return "250 2.0.0 OK queued"

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (
            data.login.decode() == SMTP_USER and data.password.decode() == SMTP_PASSWORD
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@contextlib.contextmanager
def smtp_server(tmp_path: Path, **server: Any) -> Iterator[tuple[Mailbox, channels.SmtpConfig]]:
    """A STARTTLS SMTP server requiring AUTH, and the client configuration that reaches it.

    ``server``: more aiosmtpd SMTP parameters (``timeout``: it drops clients idle that long).
    """
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        authenticator=box,
        **server,
    )
    controller.start()
    try:
        yield (
            box,
            channels.SmtpConfig(
                host="localhost",
                port=port,
                tls="starttls",
                username=SMTP_USER,
                password=SMTP_PASSWORD,
                timeout_seconds=10,
                ca_file=str(cert),
                # a session per message, QUIT after it: none is left open when the server stops
                # (the pool's reuse has its own tests, which close their sessions first)
                messages_per_connection=1,
            ),
        )
    finally:
        controller.stop()


@dataclass
class SmsApi:
    """A local server speaking Twilio's ``Messages.json``: records what it was sent."""

    sent: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0  # answer 503 this many times
    base: str = ""

    async def messages(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        auth = request.headers.get("Authorization", "")
        import base64

        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if sid != TWILIO_SID or auth != expected:
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"code": 20500, "message": "Internal"}, status=503)
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not form.get("To", "").startswith("+"):
            return web.json_response({"code": 21211, "message": "Invalid 'To'"}, status=400)
        self.sent.append(form)
        message_sid = f"SM{len(self.sent):032d}"
        return web.json_response({"sid": message_sid, "status": "queued"}, status=201)


@contextlib.asynccontextmanager
async def sms_api() -> AsyncIterator[tuple[SmsApi, channels.TwilioConfig]]:
    api = SmsApi()
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", api.messages)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    api.base = f"http://127.0.0.1:{port}"
    try:
        yield (
            api,
            channels.TwilioConfig(
                account_sid=TWILIO_SID,
                auth_token=TWILIO_TOKEN,
                from_number="+447700900001",
                api_base=api.base,
            ),
        )
    finally:
        await runner.cleanup()


async def contactable(
    patient: Any, *, email_address: str | None = None, mobile: str | None = None
) -> Any:
    """Give a factory patient an email and/or mobile, sealed and indexed like the real path."""
    from services import runtime
    from services.patients import sealing

    ring = runtime.keyring()
    if email_address is not None:
        patient.email = sealing.seal(patient, "email", email_address)
        patient.email_index = ring.blind_index("email", email_address)
    if mobile is not None:
        patient.mobile_phone = sealing.seal(patient, "mobile_phone", mobile)
        patient.mobile_index = ring.blind_index("phone", mobile)
    await patient.save()
    return patient


async def practice_messages(practice_id: Any, **values: Any) -> None:
    """Message settings for a test practice; quiet hours off unless given."""
    from db.queries import messages as queries
    from db.uow import unit_of_work

    values.setdefault("quiet_start_minute", 0)
    values.setdefault("quiet_end_minute", 0)
    async with unit_of_work() as uow:
        await queries.save_settings(practice_id, uow.connection, **values)
