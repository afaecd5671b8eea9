"""One HTTP attempt: POST the signed body to the checked address, never anywhere else.

- The URL is checked again now (``targets.check``): a name that resolved to a public address
  at registration but to a private one now is refused before any connection (DNS rebinding).
- The connection goes to the approved IP literal; the name travels only as the ``Host``
  header and the TLS SNI / certificate name (httpcore's ``sni_hostname``), so nothing is
  resolved between the check and the connection.
- Redirects are not followed (a 3xx is a failed attempt), proxies from the environment are
  ignored, the whole attempt is bounded by the timeout, and at most ``EXCERPT_BYTES`` of the
  response are read (and kept for the log).
- One client per attempt (with a shared TLS context): pooled connections are keyed by IP, and
  a connection opened for one partner's name must never carry another's request.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache

import httpx

from services.webhooks import config, targets

EXCERPT_BYTES = 512
RETRYABLE = frozenset({"HTTP_RETRY", "TIMEOUT", "CONNECTION", "REFUSED_TARGET"})


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str  # OK, HTTP_RETRY (5xx/408/429), HTTP_ERROR (other 4xx), REDIRECT, TIMEOUT, …
    status_code: int | None
    duration_ms: int
    excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "OK"

    @property
    def retryable(self) -> bool:
        return self.outcome in RETRYABLE


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def _classify(status: int) -> str:
    if 200 <= status < 300:
        return "OK"
    if 300 <= status < 400:
        return "REDIRECT"
    if status >= 500 or status in (408, 429):
        return "HTTP_RETRY"
    return "HTTP_ERROR"


def _pinned(url: str, target: targets.Target) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The request URL on the approved IP, the Host header, and the SNI extension."""
    original = httpx.URL(url)
    request_url = original.copy_with(host=str(target.addresses[0]))
    host_header = original.netloc.decode("ascii")
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return request_url, {"host": host_header}, extensions


async def _post(url: str, body: bytes, headers: dict[str, str], seconds: float) -> Outcome:
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        target = await targets.check(url)
    except targets.TargetRefused:
        return Outcome("REFUSED_TARGET", None, elapsed())
    request_url, host, extensions = _pinned(url, target)
    try:
        async with httpx.AsyncClient(
            verify=_tls(), timeout=seconds, follow_redirects=False, trust_env=False
        ) as client:
            request = client.build_request(
                "POST",
                request_url,
                content=body,
                headers={**headers, **host},
                extensions=extensions,
            )
            response = await client.send(request, stream=True)
            try:
                excerpt = b""
                async for chunk in response.aiter_raw():
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
            finally:
                await response.aclose()
    except httpx.TimeoutException:
        return Outcome("TIMEOUT", None, elapsed())
    except (httpx.HTTPError, OSError, ssl.SSLError):
        return Outcome("CONNECTION", None, elapsed())
    text = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
    return Outcome(_classify(response.status_code), response.status_code, elapsed(), text or None)


async def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    timeout = config.current().timeout_seconds
    started = time.perf_counter()
    try:
        return await asyncio.wait_for(_post(url, body, headers, timeout), timeout * 2)
    except TimeoutError:  # a slow drip that kept every read under the read timeout
        return Outcome("TIMEOUT", None, int((time.perf_counter() - started) * 1000))


__all__ = ["Outcome", "post"]
