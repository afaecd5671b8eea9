"""Request facts that audit rows and throttles need: request id, client address, user agent."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from services.principal import RequestMeta


def request_meta(connection: HTTPConnection) -> RequestMeta:
    client = connection.client
    return RequestMeta(
        request_id=connection.scope.get("state", {}).get("request_id", "-"),
        ip=client.host if client else None,
        user_agent=connection.headers.get("user-agent"),
    )
