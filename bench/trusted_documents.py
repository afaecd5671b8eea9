"""What trusted documents cost a request, in process (no database: the cached path).

    .venv/bin/python bench/trusted_documents.py [--requests 200000]

Prints microseconds per request for: a request naming no document (every ordinary request,
the board included, pays this), and a request naming a document already in the per-process
cache (``services.trusted_documents.lookup``). A cache miss adds one indexed SELECT.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from services.principal import Principal
from services.trusted_documents import lookup
from services.trusted_documents.ids import document_id_of

QUERY = "query Practices { practices { id } }"


async def _per_request(requests: int, **sent: object) -> float:
    principal = Principal(client_id="pc_bench", trusted_documents_only=sent.pop("only", False))
    started = time.perf_counter()
    for _ in range(requests):
        await lookup.text_to_run(principal, extensions=None, first_party=False, **sent)  # type: ignore[arg-type]
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int) -> None:
    document_id = document_id_of(QUERY)
    lookup._cache[("pc_bench", 0, document_id)] = (QUERY, float("inf"))  # as after one request
    plain = await _per_request(requests, query=QUERY, document_id=None)
    cached = await _per_request(requests, query=None, document_id=document_id, only=True)
    print(f"no documentId (ordinary request): {plain:.2f} us per request")
    print(f"documentId, cached:               {cached:.2f} us per request")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().requests))
