"""Field encryption: round trips, tamper and context binding, rotation, blind indexes, keys."""

import base64
import json
import logging
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.crypto import (
    CiphertextError,
    FieldContext,
    KeyConfigurationError,
    KeyRing,
    generate_key_material,
    load_keyring,
    serialise_keys,
)

CTX = FieldContext(tenant="practice-1", table="patients", column="notes", row_id="row-1")
SECRET = "Allergic to penicillin"


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("plaintext", ["", "plain", "Zoë Ó'Brien \u2013 🦷 歯科", "x" * 10_000])
def test_round_trip(ring: KeyRing, plaintext: str) -> None:
    token = ring.encrypt(plaintext, CTX)

    assert token.isascii()
    assert token.startswith(f"v1.{ring.current_key_id}.")
    assert ring.decrypt(token, CTX) == plaintext


def test_optional_passes_none_through(ring: KeyRing) -> None:
    assert ring.encrypt_optional(None, CTX) is None
    assert ring.decrypt_optional(None, CTX) is None
    assert ring.decrypt_optional(ring.encrypt_optional(SECRET, CTX), CTX) == SECRET


def test_same_plaintext_gives_different_tokens(ring: KeyRing) -> None:
    tokens = {ring.encrypt(SECRET, CTX) for _ in range(50)}

    assert len(tokens) == 50


def test_token_does_not_contain_plaintext(ring: KeyRing) -> None:
    token = ring.encrypt(SECRET, CTX)

    assert SECRET not in token
    assert _b64(SECRET.encode()) not in token


def test_any_changed_payload_character_is_rejected(ring: KeyRing) -> None:
    token = ring.encrypt(SECRET, CTX)
    prefix, payload = token.rsplit(".", 1)
    for i, char in enumerate(payload):
        for replacement in {"A", "B", "-", "_"} - {char}:
            tampered = f"{prefix}.{payload[:i]}{replacement}{payload[i + 1 :]}"
            with pytest.raises(CiphertextError):
                ring.decrypt(tampered, CTX)


def test_any_flipped_bit_in_raw_payload_is_rejected(ring: KeyRing) -> None:
    prefix, payload = ring.encrypt(SECRET, CTX).rsplit(".", 1)
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        encoded = base64.urlsafe_b64encode(flipped).rstrip(b"=").decode()
        with pytest.raises(CiphertextError):
            ring.decrypt(f"{prefix}.{encoded}", CTX)


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "v1.k1", "v2.k1.AAAA", "v1..AAAA", "v1.k1.AAAA.extra", "v1.k1.!!!!", SECRET],
)
def test_malformed_tokens_are_rejected(ring: KeyRing, token: str) -> None:
    with pytest.raises(CiphertextError):
        ring.decrypt(token, CTX)


def test_truncated_and_padded_tokens_are_rejected(ring: KeyRing) -> None:
    token = ring.encrypt(SECRET, CTX)
    for bad in (token[:-1], token[:-4], token + "=", token + "A", token[: token.rindex(".") + 20]):
        with pytest.raises(CiphertextError):
            ring.decrypt(bad, CTX)


@pytest.mark.parametrize(
    "moved",
    [
        FieldContext("practice-1", "patients", "notes", "row-2"),
        FieldContext("practice-1", "patients", "allergies", "row-1"),
        FieldContext("practice-1", "staff", "notes", "row-1"),
        FieldContext("practice-2", "patients", "notes", "row-1"),
    ],
    ids=["row_id", "column", "table", "tenant"],
)
def test_token_moved_elsewhere_is_rejected(ring: KeyRing, moved: FieldContext) -> None:
    token = ring.encrypt(SECRET, CTX)

    with pytest.raises(CiphertextError) as caught:
        ring.decrypt(token, moved)

    assert SECRET not in str(caught.value)


def test_key_id_swapped_in_token_is_rejected(ring: KeyRing) -> None:
    rotated, _ = ring.with_new_key()
    payload = rotated.encrypt(SECRET, CTX).rsplit(".", 1)[1]
    swapped = f"v1.{ring.current_key_id}.{payload}"

    with pytest.raises(CiphertextError):
        rotated.decrypt(swapped, CTX)


def test_unknown_key_id_is_rejected(ring: KeyRing) -> None:
    token = KeyRing.generate().encrypt(SECRET, CTX)

    with pytest.raises(CiphertextError, match="unknown key id"):
        ring.decrypt(token, CTX)


def test_field_context_rejects_empty_parts() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        FieldContext(tenant="practice-1", table="patients", column="notes", row_id="")


def test_rotation_keeps_old_tokens_readable(ring: KeyRing) -> None:
    old_token = ring.encrypt(SECRET, CTX)

    rotated, new_id = ring.with_new_key()

    assert rotated.current_key_id == new_id != ring.current_key_id
    assert set(rotated.key_ids) == {ring.current_key_id, new_id}
    assert rotated.decrypt(old_token, CTX) == SECRET
    assert rotated.needs_rotation(old_token)
    new_token = rotated.reencrypt(old_token, CTX)
    assert new_token.split(".")[1] == new_id
    assert not rotated.needs_rotation(new_token)
    assert rotated.decrypt(new_token, CTX) == SECRET
    assert rotated.blind_index("email", "a@b.com") == ring.blind_index("email", "a@b.com")
    with pytest.raises(CiphertextError):
        ring.decrypt(new_token, CTX)


def test_needs_rotation_rejects_malformed_token(ring: KeyRing) -> None:
    with pytest.raises(CiphertextError):
        ring.needs_rotation("not a token")


def test_repr_shows_no_key_material() -> None:
    material = generate_key_material()
    ring = load_keyring(
        encryption_keys=material["AESCRM_ENCRYPTION_KEYS"],
        blind_index_key=material["AESCRM_BLIND_INDEX_KEY"],
        dev_key_file=None,
        production=True,
    )
    key_b64 = material["AESCRM_ENCRYPTION_KEYS"].split(":")[1]

    assert ring.current_key_id in repr(ring)
    assert key_b64 not in repr(ring)
    assert material["AESCRM_BLIND_INDEX_KEY"] not in repr(ring)


def test_blind_index_normalises_email(ring: KeyRing) -> None:
    assert ring.blind_index("email", "Foo@Example.com ") == ring.blind_index(
        "email", "foo@example.com"
    )


def test_blind_index_normalises_uk_phone(ring: KeyRing) -> None:
    variants = ["07700 900123", "+447700900123", "0044 7700 900123", "(07700) 900-123"]
    variants.append("+44 (0)7700 900123")

    assert len({ring.blind_index("phone", v) for v in variants}) == 1


def test_blind_index_normalises_nhs_number(ring: KeyRing) -> None:
    assert ring.blind_index("nhs_number", "943 476 5919") == ring.blind_index(
        "nhs_number", "9434765919"
    )


def test_blind_index_separates_kinds_and_keys(ring: KeyRing) -> None:
    value = "9434765919"
    index = ring.blind_index("nhs_number", value)

    assert index != ring.blind_index("phone", value)
    assert index != KeyRing.generate().blind_index("nhs_number", value)
    assert value not in index
    assert len(index) == 64
    int(index, 16)


def test_blind_index_rejects_unknown_kind_and_empty_value(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="unknown blind index kind"):
        ring.blind_index("surname", "Smith")
    with pytest.raises(ValueError, match="empty"):
        ring.blind_index("email", "   ")


def test_load_keyring_from_settings_uses_last_key_as_current() -> None:
    old, new = KeyRing.generate(), KeyRing.generate()
    blind = _b64(b"\x01" * 32)
    settings = f"{serialise_keys(old)},{serialise_keys(new)}"

    ring = load_keyring(
        encryption_keys=settings, blind_index_key=blind, dev_key_file=None, production=True
    )

    assert ring.key_ids == (old.current_key_id, new.current_key_id)
    assert ring.current_key_id == new.current_key_id
    assert ring.decrypt(old.encrypt(SECRET, CTX), CTX) == SECRET
    assert serialise_keys(ring) == settings


def test_serialise_keys_puts_current_last(ring: KeyRing) -> None:
    rotated, new_id = ring.with_new_key()

    assert serialise_keys(rotated).split(",")[-1].startswith(f"{new_id}:")


@pytest.mark.parametrize(
    ("encryption_keys", "blind_index_key", "missing"),
    [
        (None, None, "AESCRM_ENCRYPTION_KEYS and AESCRM_BLIND_INDEX_KEY"),
        ("", _b64(bytes(32)), "AESCRM_ENCRYPTION_KEYS"),
        (f"k1:{_b64(bytes(32))}", None, "AESCRM_BLIND_INDEX_KEY"),
    ],
)
def test_production_without_keys_names_the_setting(
    tmp_path: Path, encryption_keys: str | None, blind_index_key: str | None, missing: str
) -> None:
    dev_file = tmp_path / "keys.json"

    with pytest.raises(KeyConfigurationError) as caught:
        load_keyring(
            encryption_keys=encryption_keys,
            blind_index_key=blind_index_key,
            dev_key_file=dev_file,
            production=True,
        )

    assert str(caught.value).startswith(f"{missing} must be set")
    assert not dev_file.exists()


def test_development_without_key_file_or_keys_is_refused() -> None:
    with pytest.raises(KeyConfigurationError, match="AESCRM_ENCRYPTION_KEYS"):
        load_keyring(
            encryption_keys=None, blind_index_key=None, dev_key_file=None, production=False
        )


def test_dev_key_file_is_generated_once_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dev_file = tmp_path / "nested" / "dir" / "keys.json"

    with caplog.at_level(logging.WARNING, logger="db.crypto"):
        first = load_keyring(
            encryption_keys=None, blind_index_key=None, dev_key_file=dev_file, production=False
        )

    assert stat.S_IMODE(dev_file.stat().st_mode) == 0o600
    assert any(
        r.levelno == logging.WARNING and "never be used in production" in r.getMessage()
        for r in caplog.records
    )
    caplog.clear()
    second = load_keyring(
        encryption_keys=None, blind_index_key=None, dev_key_file=dev_file, production=False
    )
    assert not caplog.records
    assert serialise_keys(second) == serialise_keys(first)
    assert second.blind_index("email", "a@b.com") == first.blind_index("email", "a@b.com")
    assert second.decrypt(first.encrypt(SECRET, CTX), CTX) == SECRET
    assert set(json.loads(dev_file.read_text())) == {"encryption_keys", "blind_index_key"}


def _load_dev_keys(path: str) -> str:
    ring = load_keyring(
        encryption_keys=None, blind_index_key=None, dev_key_file=Path(path), production=False
    )
    return repr(serialise_keys(ring))


def test_processes_starting_together_share_one_complete_dev_key_file(tmp_path: Path) -> None:
    # Two workers of `aescrm serve` create the file at the same moment; the one that loses the
    # race must read the winner's whole file, never a half-written one.
    from concurrent.futures import ProcessPoolExecutor

    for attempt in range(5):
        dev_file = tmp_path / f"race{attempt}" / "keys.json"
        with ProcessPoolExecutor(max_workers=6) as pool:
            keys = list(pool.map(_load_dev_keys, [str(dev_file)] * 12))
        assert len(set(keys)) == 1
        assert [p.name for p in dev_file.parent.iterdir()] == ["keys.json"]  # no drafts left


def test_invalid_dev_key_file_is_reported(tmp_path: Path) -> None:
    dev_file = tmp_path / "keys.json"
    dev_file.write_text("{}")

    with pytest.raises(KeyConfigurationError, match="development key file"):
        load_keyring(
            encryption_keys=None, blind_index_key=None, dev_key_file=dev_file, production=False
        )


@pytest.mark.parametrize(
    ("encryption_keys", "blind_index_key", "message"),
    [
        (f"k1:{_b64(bytes(16))}", _b64(bytes(32)), "must be 32 bytes, got 16"),
        (f"k1:{_b64(bytes(33))}", _b64(bytes(32)), "must be 32 bytes, got 33"),
        (f"k1:{_b64(bytes(32))}", _b64(bytes(31)), "AESCRM_BLIND_INDEX_KEY: key must be 32 bytes"),
        ("k1:not base64!", _b64(bytes(32)), "not valid base64"),
        (_b64(bytes(32)), _b64(bytes(32)), "key_id:base64key"),
        (f"k1:{_b64(bytes(32))},k1:{_b64(bytes(32))}", _b64(bytes(32)), "entry 2"),
        (f"bad.id:{_b64(bytes(32))}", _b64(bytes(32)), "key id must match"),
    ],
)
def test_bad_key_settings_are_rejected(
    encryption_keys: str, blind_index_key: str, message: str
) -> None:
    with pytest.raises(KeyConfigurationError, match=message) as caught:
        load_keyring(
            encryption_keys=encryption_keys,
            blind_index_key=blind_index_key,
            dev_key_file=None,
            production=True,
        )

    assert _b64(bytes(32)) not in str(caught.value)


def test_keyring_rejects_bad_key_length() -> None:
    with pytest.raises(KeyConfigurationError, match="32 bytes"):
        KeyRing({"k1": bytes(24)}, "k1", bytes(32))


def test_generate_key_material_loads() -> None:
    material = generate_key_material()

    ring = load_keyring(
        encryption_keys=material["AESCRM_ENCRYPTION_KEYS"],
        blind_index_key=material["AESCRM_BLIND_INDEX_KEY"],
        dev_key_file=None,
        production=True,
    )

    assert ring.decrypt(ring.encrypt(SECRET, CTX), CTX) == SECRET


_PART = st.text(min_size=1, max_size=20)
_CONTEXTS = st.builds(FieldContext, _PART, _PART, _PART, _PART)
_RING = KeyRing.generate()


@given(plaintext=st.text(), ctx=_CONTEXTS, other=_CONTEXTS)
def test_property_round_trip_and_context_binding(
    plaintext: str, ctx: FieldContext, other: FieldContext
) -> None:
    token = _RING.encrypt(plaintext, ctx)

    assert _RING.decrypt(token, ctx) == plaintext
    if other != ctx:
        with pytest.raises(CiphertextError):
            _RING.decrypt(token, other)
