"""Reading the audit log."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.audit import AuditEvent, AuditEventFilter, cursor_of
from graph.schema.pagination import Connection, after_key, page_size
from services import audit
from services.policy import Scope


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="Audited actions in the caller's organizations, newest first.",
        extensions=requires(Scope.AUDIT_READ),
    )
    async def audit_events(
        self,
        info: Info,
        filter: AuditEventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEvent] | None:
        rows, has_next = await audit.list_events(
            info.context.principal,
            where=(filter or AuditEventFilter()).to_filter(),
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        return Connection[AuditEvent].build(
            rows, AuditEvent.from_model, cursor_of, has_next=has_next
        )
