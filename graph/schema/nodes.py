"""The ``Node`` interface: any object a client can fetch again by one opaque id.

Why a new ``globalId`` field rather than Relay's ``id``: every type's ``id`` is already a raw
UUID that partners store and pass to the typed fields (``patient(id:)``), and turning it into
an opaque id would break the released schema. So ``Node`` declares ``globalId`` only (additive:
``aescrm schema check`` passes) and ``id`` keeps its meaning. A global id names its type, so
``node(id:)`` knows which typed read answers it (see ``graph.node_reads``).
"""

from __future__ import annotations

from typing import Any, cast

import strawberry

from graph import global_ids
from graph.context import Info


@strawberry.interface(
    description="An object with an opaque global id, fetched again with `node(id:)` or "
    "`nodes(ids:)` under exactly the permissions of its typed field."
)
class Node:
    @strawberry.field(
        description="Opaque global id (names the type and the object): pass it to `node` or "
        "`nodes`. Not a UUID; the object's `id` stays its UUID."
    )
    def global_id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(global_ids.encode(info.path.typename or "", cast(Any, self).id))
