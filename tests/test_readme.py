"""The README is part of the product: its configuration table names every setting there is, and
its partner section every scope a partner app may be granted."""

from __future__ import annotations

import re
from pathlib import Path

from graph.settings import Settings
from services.policy import ROLE_SCOPES, Role

README = Path(__file__).resolve().parent.parent / "README.md"


def _configuration_section() -> str:
    text = README.read_text()
    start = text.index("## Configuration")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_every_setting_is_in_the_configuration_table() -> None:
    table = _configuration_section()
    documented = set(re.findall(r"`(AESCRM_[A-Z0-9_]+)`", table))
    settings = {f"AESCRM_{name.upper()}" for name in Settings.model_fields}
    assert sorted(settings - documented) == []
    assert sorted(documented - settings) == []  # nothing documented that does not exist


def test_the_readme_links_only_to_files_that_exist() -> None:
    text = README.read_text()
    root = README.parent
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (root / target).exists(), target


CODE = re.compile(  # `code = "X"`, `"code": "X"`, send_error(send, 414, "X"), {404: "X"} tables
    r"""(?:\bcode\s*=\s*|["']code["']\s*:\s*|send_error\([^,]+,\s*\d+,\s*|^\s+[1-5]\d\d:\s*)"""
    r"""["']([A-Z][A-Z_]+)["']""",
    re.MULTILINE,
)


def _codes_in_source() -> set[str]:
    root = README.parent
    found: set[str] = set()
    for package in ("graph", "services", "realtime", "db"):
        for path in (root / package).rglob("*.py"):
            found.update(CODE.findall(path.read_text()))
    found.discard("INTERNAL")  # DomainError's base code: always raised as a subclass
    return found


def test_every_error_code_is_in_the_readme_table() -> None:
    text = README.read_text()
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", text, re.MULTILINE))
    assert sorted(_codes_in_source() - table) == []


def test_the_scopes_a_partner_may_be_granted_are_listed() -> None:
    text = " ".join(README.read_text().split())
    start = text.index("A partner app may be granted these scopes and no others")
    listed = text[start : text.index(". ", start)]
    named = set(re.findall(r"`([a-z_]+:[a-z_]+)`", listed))
    assert named == {scope.value for scope in ROLE_SCOPES[Role.PARTNER]}
