"""Service-level fields anyone may ask."""

from __future__ import annotations

import strawberry


@strawberry.type
class SystemQueries:
    @strawberry.field(description="Always true: lets clients check they reach the graph.")
    def ping(self) -> bool:
        return True
