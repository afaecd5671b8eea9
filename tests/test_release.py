"""One version, written once: pyproject's ``[project].version`` is what the process reports
(``graph.release``), what CHANGELOG.md last released, and what the released schema names."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from graph.release import VERSION
from graph.schema_changes import read_changelog, released_version

ROOT = Path(__file__).resolve().parent.parent


def test_the_reported_version_is_pyprojects() -> None:
    # Installed metadata goes stale only if pyproject changed without `make install`.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == VERSION, "run `make install`"


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[0] == "[Unreleased]"
    releases = read_changelog(text).releases
    assert list(releases) == [h[1 : h.index("]")] for h in headings[1:]], "'## [x] - date' only"
    assert VERSION in releases, f"CHANGELOG.md has no dated section for {VERSION}"
    dates = list(releases.values())
    assert dates == sorted(dates, reverse=True), "newest release first"


def test_the_released_schema_is_the_changelogs_latest_release() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    latest = next(iter(read_changelog(text).releases))
    released = (ROOT / "schema.released.graphql").read_text(encoding="utf-8")
    assert released_version(released) == latest, "run `make release-schema` when cutting it"
