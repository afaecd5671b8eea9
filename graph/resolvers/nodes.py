"""``node`` and ``nodes``: any ``Node`` by its global id, answered as its typed field answers
(the rules are in ``graph.node_reads``)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph import node_reads
from graph.audit_extension import AuditReads
from graph.context import Info
from graph.global_ids import global_id_argument, global_id_list_argument
from graph.schema.nodes import Node

_IDS = strawberry.argument(description="Global ids (`globalId`), at most 100.")


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any object by its global id (`globalId`), under exactly the scopes, "
        "tenancy and visibility of its typed field (e.g. `patient(id:)`): another practice's "
        "object, a deleted one and an unknown id all answer null with NOT_FOUND; a malformed "
        "id is BAD_USER_INPUT. Reads of patient data are audited.",
        extensions=[AuditReads()],
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await node_reads.one(info, global_id_argument(id=id))

    @strawberry.field(
        description="Objects by global id, in the order asked, null where `node` would "
        "refuse (not found, not visible or a scope missing); at most 100 ids, and one "
        "malformed id refuses the whole list (BAD_USER_INPUT). Reads of patient data are "
        "audited.",
        extensions=[AuditReads()],
    )
    async def nodes(
        self, info: Info, ids: Annotated[list[strawberry.ID], _IDS]
    ) -> list[Node | None]:
        return await node_reads.many(info, global_id_list_argument(ids=ids))
