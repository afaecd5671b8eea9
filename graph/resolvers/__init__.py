"""Root types, merged from one module per domain."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from graph.resolvers.organizations import OrganizationQueries
from graph.resolvers.system import SystemQueries

Query = merge_types("Query", (SystemQueries, OrganizationQueries))


@strawberry.type(description="Changes. Each mutation takes one input and returns a payload.")
class Mutation:
    @strawberry.mutation(description="Does nothing; reserved so the root type exists.")
    def noop(self) -> bool:
        return True
