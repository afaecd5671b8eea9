"""``GET /reports/{name}.csv``: any report of the catalogue as CSV, for the accountant.

``?practiceId=…`` or ``?organizationId=…``, ``from`` and ``to`` (local days, inclusive),
``grouping`` (DAY, WEEK or MONTH; default WEEK) and the diary filters ``practitionerIds``,
``roomIds``, ``appointmentTypeIds`` (comma-separated or repeated), with a bearer token.

Authorised exactly as the GraphQL report: the field's ``@requires(reports:read)`` check first
(``HasScope``, denial audited the same way), then the same report service, whose reach decides
the practices (another organisation's practice answers like a random id). One audit row per
export, written before a byte leaves, is the GraphQL read's record
(``graph.schema.reports.read_record_of``) with ``format=csv``. The body is streamed row by row
(``services.reports.export``). Errors carry the GraphQL codes: BAD_USER_INPUT 400, FORBIDDEN
403, NOT_FOUND 404 (an unknown report too), as ``/documents`` and ``/invoices`` answer them.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from graph import document_routes
from graph.permissions.fields import HasScope, source_facts
from graph.schema.reports import read_record_of
from services import audit
from services.errors import DomainError, PolicyDenied, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.reports import catalogue, export, series
from services.reports import filters as report_filters

SINGLE = ("practiceId", "organizationId", "from", "to", "grouping")
LISTS = ("practitionerIds", "roomIds", "appointmentTypeIds")
NEEDS = HasScope(Scope.REPORTS_READ)  # what every report field declares


def _one(params: QueryParams, name: str) -> str | None:
    found = params.getlist(name)
    if len(found) > 1:
        raise ValidationFailed(f"Give '{name}' once.", field=name)
    return found[0] if found else None


def _day(params: QueryParams, name: str) -> date:
    value = _one(params, name)
    if value is None:
        raise ValidationFailed(f"'{name}' is required (YYYY-MM-DD).", field=name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"'{name}' is not a date (YYYY-MM-DD).", field=name) from None


def _ids(params: QueryParams, name: str) -> list[UUID]:
    raw = [part.strip() for value in params.getlist(name) for part in value.split(",")]
    return [document_routes.path_uuid(part, name) for part in raw if part]


def _uuid(params: QueryParams, name: str) -> UUID | None:
    value = _one(params, name)
    return None if value is None else document_routes.path_uuid(value, name)


def arguments(params: QueryParams) -> dict[str, Any]:
    """The report's arguments from the query string; anything unknown is refused."""
    for name in params:
        if name not in SINGLE and name not in LISTS:
            raise ValidationFailed(f"Unknown parameter '{name}'.", field=name)
    return {
        "practice_id": _uuid(params, "practiceId"),
        "organization_id": _uuid(params, "organizationId"),
        "first_day": _day(params, "from"),
        "last_day": _day(params, "to"),
        "grouping": _one(params, "grouping") or "WEEK",
        "filters": report_filters.diary_filter(
            _ids(params, "practitionerIds"),
            _ids(params, "roomIds"),
            _ids(params, "appointmentTypeIds"),
        ),
    }


async def _check_scope(principal: Principal, name: str) -> None:
    """The GraphQL field's ``@requires(reports:read)``, audited as its denial is."""
    if NEEDS.decide(principal, source_facts(None)):
        return
    trail = audit.ReadTrail()
    trail.denied(field=f"GET /reports/{name}.csv", scopes=[Scope.REPORTS_READ.value])
    await audit.write(trail.drain(principal, "export report"))
    raise PolicyDenied(NEEDS.message)


async def _record(principal: Principal, found: series.Report[Any]) -> None:
    record = read_record_of(found)
    await audit.write(
        [
            audit.record_for(
                principal,
                action="EXPORT report_csv",
                practice_id=record.practice_id,
                organization_id=found.reach.organization_id,
                entity_type=record.entity_type,
                entity_id=record.entity_id,
                fields=[*record.details, "format=csv"],
            )
        ]
    )


async def report_csv(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        principal = await document_routes.bearer_principal(request)
        catalogue.find(name)
        await _check_scope(principal, name)
        found = await export.report(principal, name, **arguments(request.query_params))
    except DomainError as error:
        return document_routes.error_response(request, error)
    await _record(principal, found)
    headers = dict(document_routes.PRIVATE)
    headers["content-disposition"] = f'attachment; filename="{export.filename(found)}"'
    return StreamingResponse(export.csv_text(found), 200, headers, media_type="text/csv")


routes = [Route("/reports/{name}.csv", report_csv, methods=["GET"])]

__all__ = ["arguments", "routes"]
