"""Key states and reloading: a key is known everywhere before it becomes current."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from db.crypto import FieldContext, KeyRing, generate_key_material, serialise_keys
from services import runtime
from services.patients import key_rotation
from services.runtime import ServiceConfig
from tests.databases import SqliteTemplate
from tests.test_cli import clean_env, run

CTX = FieldContext("practice", "patient", "email", "row")


def _configure(path: Path) -> KeyRing:
    runtime.configure(ServiceConfig(dev_key_file=path))
    return runtime.keyring()


def _touch_later(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


def test_a_staged_key_is_known_but_not_current() -> None:
    ring = KeyRing.generate()
    staged, key_id = ring.with_staged_key()
    assert staged.current_key_id == ring.current_key_id
    assert key_id in staged.key_ids
    assert staged.encrypt("x", CTX).split(".")[1] == ring.current_key_id
    # The setting keeps the state: the current key stays last, the staged key before it.
    assert serialise_keys(staged).split(",")[-1].startswith(f"{ring.current_key_id}:")
    promoted = staged.promoted(key_id)
    assert promoted.decrypt(staged.encrypt("x", CTX), CTX) == "x"
    assert promoted.encrypt("x", CTX).split(".")[1] == key_id


def test_a_process_reloads_a_changed_key_file(tmp_path: Path) -> None:
    path = tmp_path / "dev-keys.json"
    first = _configure(path)
    assert not runtime.reload_keyring()  # unchanged file: nothing to do

    _, key_id = key_rotation.stage_dev_key(path)
    _touch_later(path)
    assert runtime.reload_keyring()
    assert key_id in runtime.keyring().key_ids
    assert runtime.keyring().current_key_id == first.current_key_id

    key_rotation.promote_dev_key(path, key_id)
    _touch_later(path)
    assert runtime.reload_keyring()
    assert runtime.keyring().current_key_id == key_id


def test_a_key_file_with_another_blind_index_key_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "dev-keys.json"
    ring = _configure(path)
    other = KeyRing.generate()
    data = json.loads(path.read_text())
    data["blind_index_key"] = generate_key_material()["AESCRM_BLIND_INDEX_KEY"]
    data["encryption_keys"] = serialise_keys(other)
    path.write_text(json.dumps(data))
    _touch_later(path)

    assert not runtime.reload_keyring()
    assert runtime.keyring() is ring
    (refusal,) = [r for r in caplog.records if r.name == "aescrm.keys"]
    assert refusal.reason == "blind-index key changed"  # type: ignore[attr-defined]


def test_production_add_and_promote_print_settings(
    tmp_path: Path, sqlite_template: SqliteTemplate
) -> None:
    material = generate_key_material()
    env = clean_env(
        # Migrated: promoting first asks the database which keys running processes hold.
        AESCRM_DATABASE_URL=sqlite_template.fresh_url(),
        AESCRM_VAR_DIR=str(tmp_path / "var"),
        **material,
    )
    current = material["AESCRM_ENCRYPTION_KEYS"].split(":")[0]
    added = run("rotate-keys", "--add-key", env=env)
    setting = added.stdout.strip().removeprefix("AESCRM_ENCRYPTION_KEYS=")
    staged = setting.split(",")[0].split(":")[0]
    assert setting.split(",")[-1].startswith(f"{current}:")  # still current
    assert f"key {staged} added (known, not current)" in added.stderr

    promoted = run(
        "rotate-keys", "--promote", staged, env={**env, "AESCRM_ENCRYPTION_KEYS": setting}
    )
    assert promoted.stdout.strip().split(",")[-1].startswith(f"{staged}:")
    unknown = run("rotate-keys", "--promote", "knope", env=env, check=False)
    assert unknown.returncode == 2
    assert "not in the ring" in unknown.stderr
