"""Benchmark: uploading and opening a 5 MB X-ray through ``/documents``, against a plain copy.

Runs the app in this process on a fresh SQLite database in a temporary directory (the file
store on the same disk), signs in a dentist, and for ``--rounds`` rounds uploads a ~5 MB JPEG
(sniffed, measured, thumbnailed, sealed, synced to disk, row and audit committed) and opens it
again (authorised, audited, read, authenticated and decrypted). Prints MB/s and CPU ms per
operation, and, for scale, the same disk's plain ``shutil.copyfile`` of the same bytes (read +
write + fsync, what the file store does without the crypto).

    .venv/bin/python bench/documents.py [--rounds 10] [--megabytes 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
AESCRM = Path(sys.executable).parent / "aescrm"


def image_of_size(megabytes: float) -> bytes:
    """A noisy JPEG of at least ``megabytes`` (noise does not compress, like a raw X-ray)."""
    edge = 1500
    while True:
        out = io.BytesIO()
        Image.effect_noise((edge, edge), 60).convert("RGB").save(out, "JPEG", quality=97)
        if out.tell() >= megabytes * 1_000_000:
            return out.getvalue()
        edge = int(edge * 1.25)


def plain_copy(data: bytes, where: Path, rounds: int) -> list[float]:
    source = where / "source.jpg"
    source.write_bytes(data)
    timings = []
    for n in range(rounds):
        target = where / f"copy-{n}.jpg"
        started = time.perf_counter()
        shutil.copyfile(source, target)
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())
        timings.append(time.perf_counter() - started)
    return timings


async def run(where: Path, url: str, rounds: int, megabytes: float) -> None:
    from db.models import Membership, Organization, Practice, User
    from graph.app import create_app
    from graph.settings import Settings
    from services.auth import tokens
    from tests import factories

    data = image_of_size(megabytes)
    mb = len(data) / 1_000_000
    settings = Settings(
        database_url=url,
        var_dir=where / "var",
        rate_limit_per_minute=1_000_000,
        budget_first_party_per_minute=10**7,  # measure the work, not the budgets
        budget_partner_per_minute=10**7,
        max_upload_bytes=64 * 1024 * 1024,
        log_level="WARNING",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        org = await Organization.create(name="Bench", slug="bench-docs")
        practice = await Practice.create(organization=org, name="Bench Dental")
        dentist = await User.create(
            email="dentist@bench.test",
            full_name="Dentist",
            password_hash="x",  # noqa: S106
        )
        await Membership.create(user=dentist, practice=practice, role="DENTIST")
        patient = await factories.patient(practice)
        token, _, _ = tokens.issue(
            {"sub": str(dentist.id), "typ": "access", "ver": 0, "mfa": True},
            timedelta(minutes=30),
        )
        auth = {"authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            uploads, upload_cpu, downloads, download_cpu = [], [], [], []
            ids = []
            for _ in range(rounds + 1):  # the first round warms caches, not counted
                cpu, wall = time.process_time(), time.perf_counter()
                response = await http.post(
                    "/documents",
                    params={"patientId": str(patient.id), "kind": "XRAY", "title": "Pan"},
                    content=data,
                    headers={**auth, "content-type": "image/jpeg"},
                )
                uploads.append(time.perf_counter() - wall)
                upload_cpu.append(time.process_time() - cpu)
                assert response.status_code == 201, response.text
                ids.append(response.json()["id"])
            for document_id in ids:
                cpu, wall = time.process_time(), time.perf_counter()
                response = await http.get(f"/documents/{document_id}", headers=auth)
                downloads.append(time.perf_counter() - wall)
                download_cpu.append(time.process_time() - cpu)
                assert response.content == data
    copies = plain_copy(data, where, rounds)

    def line(name: str, seconds: list[float], cpu: list[float] | None = None) -> None:
        median = statistics.median(seconds)
        text = f"{name:<28} {mb / median:8.1f} MB/s   median {median * 1000:7.1f} ms"
        if cpu is not None:
            text += f"   CPU {statistics.median(cpu) * 1000:7.1f} ms"
        print(text)

    print(f"file: {mb:.2f} MB JPEG, {rounds} rounds (after one warm-up), SQLite + file store")
    line("upload (encrypted, synced)", uploads[1:], upload_cpu[1:])
    line("download (decrypted)", downloads[1:], download_cpu[1:])
    line("plain copy + fsync", copies)
    ratio = statistics.median(copies) / statistics.median(downloads[1:])
    print(f"download speed / plain copy speed: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--megabytes", type=float, default=5.0)
    args = parser.parse_args()
    rounds, megabytes = max(1, min(args.rounds, 200)), max(0.1, min(args.megabytes, 50.0))
    with tempfile.TemporaryDirectory(prefix="aescrm-bench-docs-") as tmp:
        where = Path(tmp)
        url = f"sqlite://{where / 'bench.sqlite3'}"
        env = {**os.environ, "AESCRM_DATABASE_URL": url, "AESCRM_VAR_DIR": str(where / "var")}
        subprocess.run([str(AESCRM), "migrate"], env=env, check=True, capture_output=True)
        asyncio.run(run(where, url, rounds, megabytes))


if __name__ == "__main__":
    main()
