"""The ``changes`` sync feed: parse the arguments, read one page, map it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.changes import ChangeFeed, ChangeTypeEnum
from services.changes import feed
from services.policy import Scope


@strawberry.type
class ChangeQueries:
    @strawberry.field(
        description="Incremental sync: what was created, updated or deleted since a cursor "
        "(patients, appointments, consents, invoices), oldest first within each practice. "
        "Entries of a kind need its read scope (see ChangeType); a patient you may not see "
        "(another practice, no data-sharing consent, a restriction) has no entries at all. "
        "A cursor older than the kept log answers RESYNC_REQUIRED: sync everything again.",
        extensions=[*requires(Scope.PRACTICE_READ), AuditReads()],
    )
    async def changes(
        self,
        info: Info,
        since: Annotated[
            str | None,
            strawberry.argument(
                description="A cursor from an earlier answer (an entry's `cursor` or "
                "`endCursor`); null: from the start of the kept log."
            ),
        ] = None,
        types: Annotated[
            list[ChangeTypeEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these kinds; null or empty: every kind."),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="At most this many entries (1 to 100).")
        ] = feed.MAX_PAGE,
    ) -> ChangeFeed | None:
        page = await feed.changes(info.context.principal, since=since, kinds=types, first=first)
        return ChangeFeed.from_page(page)
