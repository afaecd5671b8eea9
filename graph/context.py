"""Per-operation context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from graph.loaders import Loaders
from graph.settings import Settings
from services.audit import ReadTrail
from services.principal import ANONYMOUS, Principal


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Any
    settings: Settings
    request_id: str
    principal: Principal = ANONYMOUS
    loaders: Loaders = field(default_factory=Loaders)
    audit: ReadTrail = field(default_factory=ReadTrail)
    connection_params: dict[str, Any] | None = None


Info: TypeAlias = StrawberryInfo[Context, None]
