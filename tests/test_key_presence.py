"""`rotate-keys --promote` waits for every running process to hold the key (real processes).

Keys in the environment change only with a (rolling) restart, so between step 1 and step 2 of a
rotation some servers may still run the old setting. Each server and job worker reports the key
ids it holds; promoting is refused while a live one lacks the key, because it could not read a
value written with it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from db.crypto import generate_key_material
from db.models import ProcessKeys
from services import key_presence
from tests.databases import run_isolated
from tests.realtime.harness import ROOT, Server, server_env
from tests.test_cli import run

KEYS = "AESCRM_ENCRYPTION_KEYS"


def job_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from graph.cli import app; app()", "worker"]
    with log.open("ab") as stderr:
        return subprocess.Popen(command, env=env, cwd=ROOT, stderr=stderr)  # noqa: S603


async def _live(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return int(
            await connection.fetchval("SELECT count(*) FROM process_keys WHERE expires_at > now()")
        )
    finally:
        await connection.close()


def reported(database_url: str, count: int, log: Path, timeout: float = 90) -> None:
    """Waits until ``count`` processes are live (a loaded box starts a worker slowly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run_isolated(_live(database_url)) == count:
            return
        time.sleep(0.3)
    raise AssertionError(f"{count} processes never reported their keys: {log.read_text()}")


def promote(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return run("rotate-keys", "--promote", env["STAGED"], *extra, env=env, check=False)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_promote_is_refused_until_every_running_process_knows_the_key(
    database_url: str, tmp_path: Path
) -> None:
    material = generate_key_material()
    var_dir = tmp_path / "var"
    old_env = server_env(database_url, var_dir, AESCRM_KEY_RELOAD_SECONDS="0.5", **material)
    added = run("rotate-keys", "--add-key", env=old_env)
    staged_setting = added.stdout.strip().removeprefix(f"{KEYS}=")
    staged = staged_setting.split(",")[0].split(":")[0]
    new_env = {**old_env, KEYS: staged_setting, "STAGED": staged}
    old_env["STAGED"] = staged

    # Given one server already on the new setting and one still on the old,
    on_new = Server(new_env).start()
    on_old = Server(old_env).start()
    worker = None
    log = tmp_path / "worker.log"
    try:
        assert on_old.process is not None
        refused = promote(new_env)
        # then promoting is refused, naming the server that lacks the key,
        assert refused.returncode == 1, refused.stderr
        assert f"refused: 1 of 2 running processes do not know key {staged}" in refused.stderr
        assert re.search(rf":{on_old.process.pid}:\w+ \(server, ", refused.stderr), refused.stderr
        assert refused.stdout == ""  # no setting printed to deploy
        # unless forced (the operator takes the risk, warned),
        forced = promote(new_env, "--force")
        assert forced.returncode == 0, forced.stderr
        assert "warning (--force): 1 of 2" in forced.stderr
        assert forced.stdout.strip().split(",")[-1].startswith(f"{staged}:")

        # when that server stops cleanly (rolling restart), it no longer counts,
        on_old.stop(timeout=10)
        assert promote(new_env).returncode == 0
        # but a job worker on the old setting does,
        worker = job_worker(old_env, log)
        reported(database_url, 2, log)
        lagging = promote(new_env)
        assert lagging.returncode == 1
        assert re.search(rf":{worker.pid}:\w+ \(worker, ", lagging.stderr), lagging.stderr
        worker.terminate()
        worker.wait(timeout=20)
        worker = job_worker(new_env, log)  # restarted with the new setting
        on_old = Server(new_env).start()
        reported(database_url, 3, log)
        # and once every process runs the new setting, the key is promoted.
        done = promote(new_env)
        assert done.returncode == 0, done.stderr
        assert f"all 3 running processes know key {staged}" in done.stderr
        assert done.stdout.strip().split(",")[-1].startswith(f"{staged}:")
    finally:
        on_new.stop(timeout=10)
        on_old.stop(timeout=10)
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=20)


async def test_a_process_that_stopped_reporting_counts_until_its_row_expires(db: str) -> None:
    now = datetime.now(UTC)
    for name, keys, expires in (
        ("live-new", ["new", "old"], now + timedelta(seconds=30)),
        ("live-old", ["old"], now + timedelta(seconds=30)),
        ("killed-old", ["old"], now - timedelta(seconds=1)),
    ):
        await ProcessKeys.create(
            process=name,
            kind="server",
            key_ids=keys,
            current_key_id="old",
            started_at=now,
            seen_at=now - timedelta(seconds=2),
            expires_at=expires,
        )
    alive, lagging = await key_presence.missing("new")
    assert alive == 2
    assert [(p.process, p.key_ids) for p in lagging] == [("live-old", ["old"])]
    assert 1.5 < lagging[0].seen_seconds_ago < 30
    assert 25 < lagging[0].expires_in_seconds <= 30
    assert await key_presence.missing("old") == (2, [])
    assert key_presence.ttl(0.5) == timedelta(seconds=key_presence.MIN_TTL_SECONDS)
    assert key_presence.ttl(10) == timedelta(seconds=60)
