"""Message endpoints outside GraphQL: the SMS provider's signed callbacks and the one-click
unsubscribe link.

``POST /webhooks/sms/twilio`` (a patient's reply) and ``…/status`` (delivery status) are
verified against ``X-Twilio-Signature`` over the public URL (``AESCRM_PUBLIC_URL`` + path when
set: behind a proxy the request URL is not what the provider signed) and the form body, capped
at ``AESCRM_SMS_WEBHOOK_MAX_BYTES``. ``/messages/unsubscribe/{token}``: GET shows a button,
POST (``List-Unsubscribe=One-Click``) withdraws the consent.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from graph.settings import Settings
from services.messaging import inbound, unsubscribe
from services.messaging.headers import UNSUBSCRIBE_PATH

SMS_REPLY_PATH = "/webhooks/sms/twilio"
SMS_STATUS_PATH = "/webhooks/sms/twilio/status"
HEADERS = {"cache-control": "no-store"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _form(request: Request, cap: int) -> list[tuple[str, str]] | None:
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode()
    except UnicodeDecodeError:
        return None
    return parse_qsl(text, keep_blank_values=True)


def _signed_url(request: Request, settings: Settings) -> str:
    if settings.public_url:
        query = f"?{request.url.query}" if request.url.query else ""
        return settings.public_url.rstrip("/") + request.url.path + query
    return str(request.url)


async def _sms(request: Request, *, status: bool) -> Response:
    settings: Settings = request.app.state.settings
    params = await _form(request, settings.sms_webhook_max_bytes)
    if params is None:
        return Response("Too large or not a form.", 413, HEADERS)
    receive = inbound.delivery_status if status else inbound.reply
    receipt = await receive(
        _signed_url(request, settings), params, request.headers.get("x-twilio-signature")
    )
    if receipt.status != 200:
        return Response(receipt.outcome, receipt.status, HEADERS, media_type="text/plain")
    return Response(EMPTY_TWIML, 200, HEADERS, media_type="text/xml")


async def sms_reply(request: Request) -> Response:
    return await _sms(request, status=False)


async def sms_status(request: Request) -> Response:
    return await _sms(request, status=True)


_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Unsubscribe</title>"
    '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
    "<p>Stop marketing messages from this practice on this channel?</p>"
    '<button type="submit">Unsubscribe</button></form>'
)


async def unsubscribe_link(request: Request) -> Response:
    if request.method == "GET":
        return HTMLResponse(_PAGE, headers=HEADERS)
    done = await unsubscribe.unsubscribe(request.path_params["token"])
    text = "You are unsubscribed." if done else "This link is not valid."
    return HTMLResponse(f"<!doctype html><p>{text}</p>", 200 if done else 404, HEADERS)


routes = [
    Route(SMS_REPLY_PATH, sms_reply, methods=["POST"]),
    Route(SMS_STATUS_PATH, sms_status, methods=["POST"]),
    Route(UNSUBSCRIBE_PATH + "{token}", unsubscribe_link, methods=["GET", "POST"]),
]

__all__ = ["SMS_REPLY_PATH", "SMS_STATUS_PATH", "routes"]
