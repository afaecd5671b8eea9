"""Schema change control (``graph.schema_changes``, ``aescrm schema check``): the partner contract
breaks only as CHANGELOG.md promised, with small schemas built here; and the real schema keeps
the contract of the checked-in release."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from graphql import build_schema
from graphql.utilities import BreakingChange, BreakingChangeType, find_schema_changes

from graph.release import VERSION
from graph.schema_changes import (
    check,
    coordinate_of,
    released_file_text,
    released_version,
)

ROOT = Path(__file__).resolve().parents[2]
AESCRM = Path(sys.executable).parent / "aescrm"
TODAY = date(2026, 12, 7)

RELEASED = '''
type Query {
  """A patient."""
  patient: Patient
}

type Patient {
  """Name."""
  name: String!
  """Old identifier."""
  legacyCode: String @deprecated(reason: "Use `code`; removed after 2026-12-01.")
  """Identifier."""
  code: String
  """Status."""
  status: Status
}

enum Status {
  ACTIVE
  ARCHIVED
}
'''
WITHOUT_LEGACY = RELEASED.replace(
    '  """Old identifier."""\n'
    '  legacyCode: String @deprecated(reason: "Use `code`; removed after 2026-12-01.")\n',
    "",
)
WITHOUT_NAME = RELEASED.replace('  """Name."""\n  name: String!\n', "")


def changelog(*unreleased: str, released: str = "0.1.0 - 2026-09-01") -> str:
    version, _, day = released.partition(" - ")
    lines = "\n".join(unreleased)
    return (
        "# Changelog\n\n## [Unreleased]\n\n### Removed\n\n"
        f"{lines}\n\n## [{version}] - {day}\n\n### Added\n\n- The first release.\n"
    )


def released(sdl: str = RELEASED, version: str = "0.1.0") -> str:
    return released_file_text(version, sdl)


def test_an_unchanged_schema_passes() -> None:
    report = check(released(), RELEASED, changelog(), today=TODAY)
    assert report.ok, report.problems
    assert report.warnings == []
    assert report.accepted == []


def test_removing_a_field_fails_and_says_what_to_write() -> None:
    report = check(released(), WITHOUT_NAME, changelog(), today=TODAY)
    assert not report.ok
    [problem] = report.problems
    assert problem.startswith("Breaking change: Field Patient.name was removed.")
    assert "list it under [Unreleased] in CHANGELOG.md" in problem
    assert "'- `Patient.name` deprecated YYYY-MM-DD, removed after YYYY-MM-DD" in problem
    assert "at least 90 days apart" in problem


def test_removing_a_deprecated_field_announced_with_a_long_enough_period_passes() -> None:
    entry = "- `Patient.legacyCode` deprecated 2026-09-01, removed after 2026-12-01: use `code`."
    report = check(released(), WITHOUT_LEGACY, changelog(entry), today=TODAY)
    assert report.ok, report.problems
    assert report.accepted == ["Field Patient.legacyCode was removed."]


def test_an_announced_removal_with_too_short_a_period_fails() -> None:
    entry = "- `Patient.legacyCode` deprecated 2026-09-01, removed after 2026-10-01: use `code`."
    report = check(released(), WITHOUT_LEGACY, changelog(entry), today=TODAY)
    [problem] = report.problems
    assert "deprecation period of `Patient.legacyCode` is 30 days" in problem
    assert "partners get at least 90, so not before 2026-11-30" in problem


def test_a_longer_minimum_period_is_honoured() -> None:
    entry = "- `Patient.legacyCode` deprecated 2026-09-01, removed after 2026-12-01: use `code`."
    report = check(released(), WITHOUT_LEGACY, changelog(entry), today=TODAY, min_days=120)
    assert "is 91 days" in report.problems[0]


def test_an_announced_removal_of_a_field_never_deprecated_fails() -> None:
    entry = "- `Patient.name` deprecated 2026-06-01, removed after 2026-09-01: use `code`."
    report = check(released(), WITHOUT_NAME, changelog(entry), today=TODAY)
    [problem] = report.problems
    assert "`Patient.name` was not @deprecated in the released schema" in problem


def test_a_removal_before_its_promised_date_fails() -> None:
    entry = "- `Patient.legacyCode` deprecated 2026-09-01, removed after 2027-01-15: use `code`."
    report = check(released(), WITHOUT_LEGACY, changelog(entry), today=TODAY)
    [problem] = report.problems
    assert "promised until 2027-01-15; it may not be removed before then" in problem


def test_a_deprecation_dated_after_the_last_release_fails() -> None:
    # Partners have only what was released on 2026-09-01: a later "announcement" reached nobody.
    entry = "- `Patient.legacyCode` deprecated 2026-09-02, removed after 2026-12-01: use `code`."
    report = check(released(), WITHOUT_LEGACY, changelog(entry), today=TODAY)
    assert "after the last release (2026-09-01)" in report.problems[0]


def test_an_entry_without_dates_fails() -> None:
    entry = "- `Patient.legacyCode` removed: use `code`."
    report = check(released(), WITHOUT_LEGACY, changelog(entry), today=TODAY)
    assert "without both dates" in report.problems[0]


def test_an_entry_in_a_released_section_does_not_cover_a_new_removal() -> None:
    entry = "- `Patient.legacyCode` deprecated 2026-09-01, removed after 2026-12-01."
    text = changelog() + f"\n### Removed\n\n{entry}\n"  # under [0.1.0], not [Unreleased]
    report = check(released(), WITHOUT_LEGACY, text, today=TODAY)
    assert "list it under [Unreleased]" in report.problems[0]


def test_adding_a_field_passes() -> None:
    added = RELEASED.replace('  """Status."""', '  """Notes."""\n  notes: String\n  """Status."""')
    report = check(released(), added, changelog(), today=TODAY)
    assert report.ok, report.problems
    assert report.warnings == []


def test_a_new_enum_value_warns_but_passes() -> None:
    added = RELEASED.replace("  ARCHIVED\n", "  ARCHIVED\n  MERGED\n")
    report = check(released(), added, changelog(), today=TODAY)
    assert report.ok, report.problems
    [warning] = report.warnings
    assert warning.startswith("Enum value Status.MERGED was added. (VALUE_ADDED_TO_ENUM")


def test_a_deprecation_needs_a_reason_of_its_own() -> None:
    bare = RELEASED.replace("  code: String\n", "  code: String @deprecated\n")
    report = check(released(), bare, changelog("- `Patient.code` deprecated."), today=TODAY)
    [problem] = report.problems
    assert problem.startswith("`Patient.code` is @deprecated without a reason")


def test_a_new_deprecation_must_be_announced_in_the_changelog() -> None:
    marked = RELEASED.replace("  code: String\n", '  code: String @deprecated(reason: "Use x.")\n')
    report = check(released(), marked, changelog(), today=TODAY)
    [problem] = report.problems
    assert "`Patient.code` is newly @deprecated but CHANGELOG.md's [Unreleased]" in problem
    announced = changelog("- `Patient.code` is deprecated: use x; removed after 2027-03-08.")
    assert check(released(), marked, announced, today=TODAY).ok


def test_the_released_schema_must_name_a_released_version() -> None:
    unnamed = check(RELEASED, RELEASED, changelog(), today=TODAY)
    assert "no '# aescrm-release: <version>' first line" in unnamed.problems[0]
    unknown = check(released(version="9.9.9"), RELEASED, changelog(), today=TODAY)
    assert "no '## [9.9.9] - YYYY-MM-DD' section" in unknown.problems[0]


def test_an_unparsable_schema_fails() -> None:
    report = check(released(), "type Query {", changelog(), today=TODAY)
    assert report.problems[0].startswith("a schema does not parse: Syntax Error")


# Every kind of breaking change graphql-core reports, with the coordinate the changelog names:
# a change of graphql-core's wording fails here, by kind.
BASE = """
directive @tag(name: String) repeatable on FIELD_DEFINITION | OBJECT
interface Node { id: ID }
type A implements Node { id: ID  f(x: Int): Int  g: Int }
type B { id: ID }
union U = A | B
enum E { ONE TWO }
input I { a: Int }
scalar S
type Query { a: A  u: U  e: E  s: S  i(in: I): Int }
"""
KINDS: list[tuple[BreakingChangeType, str]] = [
    (BreakingChangeType.TYPE_REMOVED, "S"),
    (BreakingChangeType.TYPE_CHANGED_KIND, "S"),
    (BreakingChangeType.TYPE_REMOVED_FROM_UNION, "U"),
    (BreakingChangeType.VALUE_REMOVED_FROM_ENUM, "E.TWO"),
    (BreakingChangeType.REQUIRED_INPUT_FIELD_ADDED, "I.b"),
    (BreakingChangeType.IMPLEMENTED_INTERFACE_REMOVED, "A"),
    (BreakingChangeType.FIELD_REMOVED, "A.g"),
    (BreakingChangeType.FIELD_CHANGED_KIND, "A.g"),
    (BreakingChangeType.REQUIRED_ARG_ADDED, "A.f(y:)"),
    (BreakingChangeType.ARG_REMOVED, "A.f(x:)"),
    (BreakingChangeType.ARG_CHANGED_KIND, "A.f(x:)"),
    (BreakingChangeType.DIRECTIVE_REMOVED, "@tag"),
    (BreakingChangeType.DIRECTIVE_ARG_REMOVED, "@tag(name:)"),
    (BreakingChangeType.REQUIRED_DIRECTIVE_ARG_ADDED, "@tag(level:)"),
    (BreakingChangeType.DIRECTIVE_REPEATABLE_REMOVED, "@tag"),
    (BreakingChangeType.DIRECTIVE_LOCATION_REMOVED, "@tag"),
]


def changed(kind: BreakingChangeType) -> str:
    edits = {
        BreakingChangeType.TYPE_REMOVED: [("scalar S\n", ""), ("  s: S", "")],
        BreakingChangeType.TYPE_CHANGED_KIND: [("scalar S", "enum S { X }")],
        BreakingChangeType.TYPE_REMOVED_FROM_UNION: [("union U = A | B", "union U = A")],
        BreakingChangeType.VALUE_REMOVED_FROM_ENUM: [("enum E { ONE TWO }", "enum E { ONE }")],
        BreakingChangeType.REQUIRED_INPUT_FIELD_ADDED: [
            ("input I { a: Int }", "input I { a: Int b: Int! }")
        ],
        BreakingChangeType.IMPLEMENTED_INTERFACE_REMOVED: [("type A implements Node", "type A")],
        BreakingChangeType.FIELD_REMOVED: [("  g: Int }", " }")],
        BreakingChangeType.FIELD_CHANGED_KIND: [("  g: Int }", "  g: String }")],
        BreakingChangeType.REQUIRED_ARG_ADDED: [("f(x: Int)", "f(x: Int, y: Int!)")],
        BreakingChangeType.ARG_REMOVED: [("f(x: Int)", "f")],
        BreakingChangeType.ARG_CHANGED_KIND: [("f(x: Int)", "f(x: String)")],
        BreakingChangeType.DIRECTIVE_REMOVED: [
            ("directive @tag(name: String) repeatable on FIELD_DEFINITION | OBJECT\n", "")
        ],
        BreakingChangeType.DIRECTIVE_ARG_REMOVED: [("@tag(name: String)", "@tag")],
        BreakingChangeType.REQUIRED_DIRECTIVE_ARG_ADDED: [
            ("@tag(name: String)", "@tag(name: String, level: Int!)")
        ],
        BreakingChangeType.DIRECTIVE_REPEATABLE_REMOVED: [(" repeatable ", " ")],
        BreakingChangeType.DIRECTIVE_LOCATION_REMOVED: [(" | OBJECT", "")],
    }[kind]
    sdl = BASE
    for old, new in edits:
        assert old in sdl, old
        sdl = sdl.replace(old, new, 1)
    return sdl


def test_every_kind_of_breaking_change_is_covered() -> None:
    assert {kind for kind, _ in KINDS} == set(BreakingChangeType)


@pytest.mark.parametrize(("kind", "coordinate"), KINDS, ids=[kind.name for kind, _ in KINDS])
def test_each_breaking_change_names_its_schema_coordinate(
    kind: BreakingChangeType, coordinate: str
) -> None:
    changes = [
        change
        for change in find_schema_changes(build_schema(BASE), build_schema(changed(kind)))
        if isinstance(change, BreakingChange) and change.type is kind
    ]
    assert changes, f"no {kind.name} between the schemas"
    assert {coordinate_of(change) for change in changes} == {coordinate}


# --- the real schema and the command ----------------------------------------------------------


def test_the_real_schema_keeps_the_contract_of_the_checked_in_release() -> None:
    release = (ROOT / "schema.released.graphql").read_text(encoding="utf-8")
    report = check(
        release,
        (ROOT / "schema.graphql").read_text(encoding="utf-8"),
        (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
        today=TODAY,
    )
    assert report.ok, report.problems
    assert released_version(release) is not None


def test_the_checked_in_release_is_a_released_version_no_newer_than_this_one() -> None:
    version = released_version((ROOT / "schema.released.graphql").read_text(encoding="utf-8"))
    assert version is not None
    parts = [tuple(int(p) for p in v.split(".")[:3]) for v in (version, VERSION)]
    assert parts[0] <= parts[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(AESCRM), "schema", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_fails_on_an_unannounced_removal(tmp_path: Path) -> None:
    (tmp_path / "released.graphql").write_text(released())
    (tmp_path / "current.graphql").write_text(
        WITHOUT_NAME.replace("  ARCHIVED\n", "  ARCHIVED\n  MERGED\n")
    )
    (tmp_path / "CHANGELOG.md").write_text(changelog())
    files = [
        "--released",
        str(tmp_path / "released.graphql"),
        "--changelog",
        str(tmp_path / "CHANGELOG.md"),
    ]
    result = run("check", "--current", str(tmp_path / "current.graphql"), *files)
    assert result.returncode == 1
    assert "error: Breaking change: Field Patient.name was removed." in result.stderr
    assert "warning: Enum value Status.MERGED was added." in result.stderr
    (tmp_path / "current.graphql").write_text(RELEASED)
    passed = run("check", "--current", str(tmp_path / "current.graphql"), *files)
    assert passed.returncode == 0, passed.stderr
    assert "keeps the contract" in passed.stdout


def test_the_command_passes_on_the_repository() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    assert "error:" not in result.stderr  # dangerous changes since the release may warn


def test_release_refuses_a_version_the_changelog_has_not_dated(tmp_path: Path) -> None:
    target = tmp_path / "released.graphql"
    (tmp_path / "CHANGELOG.md").write_text(changelog(released="0.0.1 - 2026-01-01"))
    result = run(
        "release", "--released", str(target), "--changelog", str(tmp_path / "CHANGELOG.md")
    )
    assert result.returncode == 1
    assert f"no '## [{VERSION}] - YYYY-MM-DD' section" in result.stderr
    assert not target.exists()
    (tmp_path / "CHANGELOG.md").write_text(changelog(released=f"{VERSION} - 2026-12-07"))
    result = run(
        "release", "--released", str(target), "--changelog", str(tmp_path / "CHANGELOG.md")
    )
    assert result.returncode == 0, result.stderr
    assert target.read_text() == released_file_text(VERSION, (ROOT / "schema.graphql").read_text())
