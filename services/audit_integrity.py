"""Verifying the audit chains, and signed checkpoints of their heads.

A checkpoint kept outside the database catches even a chain rewritten from scratch: the
rewritten rows no longer hash to the head that was signed earlier.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from db import audit_chain
from db.queries import audit as audit_queries
from services import runtime


@dataclass(slots=True)
class IntegrityReport:
    ok: bool = True
    lines: list[str] = field(default_factory=list)

    def fail(self, line: str) -> None:
        self.ok = False
        self.lines.append(line)


def _key() -> bytes:
    secret = runtime.config().secret_key.encode()
    return hashlib.sha256(b"aescrm-audit-checkpoint:" + secret).digest()


async def checkpoint() -> str:
    heads = await audit_queries.chain_heads()
    entries = [
        {
            "chain": head.chain,
            "seq": head.seq,
            "hash": head.hash,
            "signature": audit_chain.sign_checkpoint(head.chain, head.seq, head.hash, _key()),
        }
        for head in heads
    ]
    document = {"created_at": datetime.now(UTC).isoformat(), "heads": entries}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


async def verify(checkpoint_document: str | None = None) -> IntegrityReport:
    report = IntegrityReport()
    for result in [await audit_chain.verify(chain) for chain in await audit_chain.chains()]:
        if result.ok:
            report.lines.append(f"chain {result.chain}: ok ({result.rows} rows)")
        else:
            report.fail(
                f"chain {result.chain}: BROKEN at seq {result.first_bad_seq}: {result.problem}"
            )
    if checkpoint_document is not None:
        for entry in orjson.loads(checkpoint_document)["heads"]:
            chain, seq, head_hash = entry["chain"], int(entry["seq"]), entry["hash"]
            expected = audit_chain.sign_checkpoint(chain, seq, head_hash, _key())
            if not hmac.compare_digest(expected, entry["signature"]):
                report.fail(f"checkpoint for chain {chain}: signature invalid")
            elif await audit_chain.row_hash_at(chain, seq) != head_hash and seq > 0:
                report.fail(
                    f"chain {chain}: BROKEN at seq {seq}: differs from the signed checkpoint"
                )
            else:
                report.lines.append(f"chain {chain}: matches checkpoint at seq {seq}")
    return report
