"""``GET /invoices/{id}.pdf``: an issued invoice or credit note as a PDF, with a bearer token.

The same rules as reading the invoice through GraphQL (``services.billing.invoices.pdf``):
billing:read in the patient's practice, or the patient for their own issued invoices, through
the visibility policy (a partner app with billing:read only while the patient shares data with
it); another practice's id, or a hidden patient's, answers like a random one; each opening is
audited (``OPEN invoice_pdf``) before a byte leaves. Rendered on request from the frozen rows
rather than stored: an issued invoice never changes, so the PDF cannot drift from it.
Errors use the GraphQL error shape and codes, like ``/documents``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graph import document_routes
from services.billing import invoices
from services.errors import DomainError


async def invoice_pdf(request: Request) -> Response:
    try:
        principal = await document_routes.bearer_principal(request)
        invoice_id = document_routes.path_uuid(request.path_params["invoice_id"], "invoiceId")
        row, data = await invoices.pdf(principal, invoice_id=invoice_id)
    except DomainError as error:
        return document_routes.error_response(request, error)
    headers = dict(document_routes.PRIVATE)
    headers["content-disposition"] = f'inline; filename="{row.number}.pdf"'
    headers["content-security-policy"] = "default-src 'none'; sandbox"
    return Response(data, 200, headers, media_type="application/pdf")


routes = [Route("/invoices/{invoice_id}.pdf", invoice_pdf, methods=["GET"])]

__all__ = ["routes"]
