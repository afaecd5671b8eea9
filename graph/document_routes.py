"""``/documents``: uploading and opening patient files over plain HTTP with a bearer token.

Files do not travel through GraphQL: the GraphQL endpoint refuses multipart bodies (a form a
cross-site page can post without CORS), so uploads are a raw body here, typed by
``Content-Type`` and proven by their bytes. Opening a file is authorised and audited per request,
either with the bearer token or with a short-lived signed link (for ``<img src>``) minted by the
``documentLink`` mutation. Errors use the GraphQL error shape and codes.
"""

from __future__ import annotations

import logging
from urllib.parse import quote
from uuid import UUID

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graph.middleware import error_body
from graph.request_meta import request_meta
from graph.settings import Settings
from services.auth.sessions import authenticate_token
from services.documents import library, links
from services.errors import DomainError, Unauthenticated, ValidationFailed
from services.principal import Principal

log = logging.getLogger("aescrm.documents")
STATUS = {
    "BAD_USER_INPUT": 400,
    "UNAUTHENTICATED": 401,
    "MFA_REQUIRED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
}
UPLOAD_PATH = "/documents"
PRIVATE = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


def _error(request: Request, error: DomainError) -> Response:
    body = orjson.loads(error_body(error.code, error.message))
    if error.field is not None:
        body["errors"][0]["extensions"]["field"] = error.field
    headers = dict(PRIVATE)
    if error.code == "UNAUTHENTICATED":
        headers["www-authenticate"] = "Bearer"
    return Response(
        orjson.dumps(body), STATUS.get(error.code, 400), headers, media_type="application/json"
    )


async def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        raise Unauthenticated("A bearer token is required.")
    principal = await authenticate_token(header[7:].strip(), request_meta(request))
    if not principal.is_authenticated or principal.enrolment_only:
        raise Unauthenticated("A valid access token is required.")
    return principal


def _uuid(value: str | None, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationFailed(f"'{field}' is not a valid id.", field=field) from None


async def _body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        library.check_size(int(declared), max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        library.check_size(size or 1, max_bytes)  # stop reading as soon as it is too big
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: Request) -> Response:
    """``POST /documents?patientId=…&kind=XRAY&title=…[&filename=…][&appointmentId=…]``."""
    settings: Settings = request.app.state.settings
    try:
        principal = await _principal(request)
        params = request.query_params
        appointment = params.get("appointmentId")
        document = await library.upload(
            principal,
            library.Upload(
                patient_id=_uuid(params.get("patientId"), "patientId"),
                kind=params.get("kind", ""),
                title=params.get("title", ""),
                filename=params.get("filename"),
                appointment_id=None if appointment is None else _uuid(appointment, "appointmentId"),
                content_type=request.headers.get("content-type", ""),
                data=await _body(request, settings.max_upload_bytes),
            ),
            max_bytes=settings.max_upload_bytes,
        )
    except DomainError as error:
        return _error(request, error)
    body = {
        "id": str(document.id),
        "kind": document.kind,
        "contentType": document.content_type,
        "sizeBytes": document.size_bytes,
        "width": document.width,
        "height": document.height,
        "thumbnail": document.thumbnail_key is not None,
    }
    return Response(orjson.dumps(body), 201, PRIVATE, media_type="application/json")


async def download(request: Request) -> Response:
    """``GET /documents/{id}[/thumbnail]`` with a bearer token or ``?link=`` signed link."""
    variant = (
        library.Variant.THUMBNAIL
        if request.url.path.endswith("/thumbnail")
        else library.Variant.ORIGINAL
    )
    try:
        document_id = _uuid(request.path_params["document_id"], "documentId")
        link = request.query_params.get("link")
        if link is not None:
            principal = await links.redeem(link, document_id, variant, request_meta(request))
        else:
            principal = await _principal(request)
        opened = await library.open_document(principal, document_id, variant)
    except DomainError as error:
        return _error(request, error)
    except library.DocumentUnreadable:
        log.error(
            "document unreadable", extra={"document_id": request.path_params.get("document_id")}
        )
        body = error_body("DATA_INTEGRITY_ERROR", "The stored file failed its integrity check.")
        return Response(body, 500, PRIVATE, media_type="application/json")
    name = library.filename_of(opened.document) or f"{opened.document.id}"
    headers = dict(PRIVATE)
    disposition = "inline" if variant is library.Variant.THUMBNAIL else "attachment"
    headers["content-disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    headers["content-security-policy"] = "default-src 'none'; sandbox"
    return Response(opened.data, 200, headers, media_type=opened.content_type)


routes = [
    Route(UPLOAD_PATH, upload, methods=["POST"]),
    Route("/documents/{document_id}", download, methods=["GET"]),
    Route("/documents/{document_id}/thumbnail", download, methods=["GET"]),
]

# Shared with the other bearer-token file routes (``graph/invoice_routes.py``).
bearer_principal = _principal
path_uuid = _uuid
error_response = _error

__all__ = ["PRIVATE", "UPLOAD_PATH", "bearer_principal", "error_response", "path_uuid", "routes"]
