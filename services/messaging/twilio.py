"""SMS through Twilio's Messages API (httpx), and the check of its signed callbacks.

Sending: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (form fields ``To``, ``From``,
``Body``, ``StatusCallback``) with HTTP basic auth; 201 answers the message ``sid``. 429 and 5xx
are transient; another 4xx (an invalid number, code 21211) is permanent.

Callbacks (inbound replies and delivery status) carry ``X-Twilio-Signature``: base64 of
HMAC-SHA1, keyed with the auth token, over the full public URL followed by every POST parameter
name and value, sorted by name. Compared in constant time; anything else is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

import httpx

from services.messaging.channels import (
    OutboundSms,
    PermanentSendError,
    TransientSendError,
    TwilioConfig,
)


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The value Twilio puts in ``X-Twilio-Signature`` for this URL and form body."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None) -> bool:
    if not given or not auth_token:
        return False
    expected = signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), given.encode())


class TwilioTransport:
    name = "twilio"

    def __init__(self, config: TwilioConfig, *, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._client = client

    async def send(self, sms: OutboundSms) -> str:
        config = self.config
        sender = sms.sender or config.from_number
        if not sender:
            raise PermanentSendError("No SMS sender number is configured.")
        form = {"To": sms.to, "From": sender, "Body": sms.body}
        if config.status_callback_url:
            form["StatusCallback"] = config.status_callback_url
        base = config.api_base.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        auth = httpx.BasicAuth(config.account_sid, config.auth_token)
        try:
            if self._client is not None:
                answer = await self._client.post(url, data=form, auth=auth)
            else:
                async with httpx.AsyncClient(timeout=20.0) as client:
                    answer = await client.post(url, data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise TransientSendError(f"SMS provider unreachable: {type(exc).__name__}") from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise TransientSendError(f"SMS provider answered {answer.status_code}")
        if answer.status_code >= 400:
            code = _error_code(answer)
            raise PermanentSendError(f"SMS provider refused the message (code {code})")
        sid = answer.json().get("sid")
        if not isinstance(sid, str) or not sid:
            raise TransientSendError("SMS provider answered without a message id")
        return sid


def _error_code(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("code", answer.status_code))
    except ValueError:
        return str(answer.status_code)


__all__ = ["TwilioTransport", "signature", "verify"]
