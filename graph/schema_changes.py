"""Schema change control: the partner contract breaks only as the changelog promised.

Partners build against the last released schema (``schema.released.graphql``, copied from
``schema.graphql`` by ``make release-schema`` when a version is cut). graphql-core's change
finder compares it with the current ``schema.graphql``:

- a **breaking** change fails the check unless ``CHANGELOG.md``'s ``[Unreleased]`` section names
  its schema coordinate on one line with both dates, e.g.
  ``- `Patient.legacyCode` deprecated 2026-09-01, removed after 2026-12-01: use `code`.``
  The removal date must be at least :data:`MIN_DEPRECATION_DAYS` after the deprecation, the
  deprecation no later than the released version's date (partners must have been told), the
  removal date must have passed, and a removed field, argument or enum value must have been
  ``@deprecated`` in the released schema;
- a **dangerous** change (a new enum value, an optional argument…) is printed as a warning;
- every ``@deprecated`` needs a reason of its own (not graphql-core's "No longer supported"),
  and a newly deprecated element must be named in ``[Unreleased]``, which announces it.

Coordinates are the GraphQL spec's schema coordinates (``Type``, ``Type.field``,
``Type.field(arg:)``, ``Enum.VALUE``, ``@directive``), read back from graphql-core's change
descriptions (:data:`_COORDINATES`; ``tests/graph/test_schema_changes.py`` covers every kind,
so a change of wording fails there, by name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from graphql import (
    DEFAULT_DEPRECATION_REASON,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)
from graphql.utilities import (
    BreakingChange,
    BreakingChangeType,
    DangerousChange,
    find_schema_changes,
)

MIN_DEPRECATION_DAYS = 90
"""Days partners get between a deprecation and the earliest removal."""

RELEASE_HEADER = "# aescrm-release: "
"""First line of the released schema file, followed by the version it shipped in."""

_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
_MEMBER = rf"{_NAME}\.{_NAME}"
_ARGUMENT = rf"@?{_NAME}(?:\.{_NAME})?\({_NAME}:\)"
_COORDINATES: dict[BreakingChangeType, re.Pattern[str]] = {
    kind: re.compile(pattern)
    for kind, pattern in {
        BreakingChangeType.TYPE_REMOVED: rf"^(?:Standard scalar )?(?P<c>{_NAME}) was removed",
        BreakingChangeType.TYPE_CHANGED_KIND: rf"^(?P<c>{_NAME}) changed from ",
        BreakingChangeType.TYPE_REMOVED_FROM_UNION: rf"from union type (?P<c>{_NAME})\.$",
        BreakingChangeType.VALUE_REMOVED_FROM_ENUM: rf"^Enum value (?P<c>{_MEMBER}) was removed",
        BreakingChangeType.REQUIRED_INPUT_FIELD_ADDED: rf"^A required field (?P<c>{_MEMBER}) ",
        BreakingChangeType.IMPLEMENTED_INTERFACE_REMOVED: rf"^(?P<c>{_NAME}) no longer implements",
        BreakingChangeType.FIELD_REMOVED: rf"^Field (?P<c>{_MEMBER}) was removed",
        BreakingChangeType.FIELD_CHANGED_KIND: rf"^Field (?P<c>{_MEMBER}) changed type",
        BreakingChangeType.REQUIRED_ARG_ADDED: rf"^A required argument (?P<c>{_ARGUMENT}) ",
        BreakingChangeType.ARG_REMOVED: rf"^Argument (?P<c>{_ARGUMENT}) was removed",
        BreakingChangeType.ARG_CHANGED_KIND: rf"^Argument (?P<c>{_ARGUMENT}) has changed type",
        BreakingChangeType.DIRECTIVE_REMOVED: rf"^Directive (?P<c>@{_NAME}) was removed",
        BreakingChangeType.DIRECTIVE_ARG_REMOVED: rf"^Argument (?P<c>{_ARGUMENT}) was removed",
        BreakingChangeType.REQUIRED_DIRECTIVE_ARG_ADDED: (
            rf"^A required argument (?P<c>{_ARGUMENT}) "
        ),
        BreakingChangeType.DIRECTIVE_REPEATABLE_REMOVED: rf"from (?P<c>@{_NAME})\.$",
        BreakingChangeType.DIRECTIVE_LOCATION_REMOVED: rf"was removed from (?P<c>@{_NAME})\.$",
    }.items()
}
# Removals of what `@deprecated` can mark: partners must have seen the mark in a release.
_DEPRECATE_FIRST = frozenset(
    {
        BreakingChangeType.FIELD_REMOVED,
        BreakingChangeType.ARG_REMOVED,
        BreakingChangeType.VALUE_REMOVED_FROM_ENUM,
        BreakingChangeType.DIRECTIVE_ARG_REMOVED,
    }
)
_ENTRY_FORMAT = (
    "'- `{coordinate}` deprecated YYYY-MM-DD, removed after YYYY-MM-DD: why and what to use "
    "instead' (dates at least {days} days apart)"
)
_RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})\s*$", re.M)
_UNRELEASED = re.compile(r"^## \[Unreleased\]\s*$", re.M | re.I)
_CODE = re.compile(r"`([^`]+)`")
_DEPRECATED_ON = re.compile(r"\bdeprecated (\d{4}-\d{2}-\d{2})\b", re.I)
_REMOVED_AFTER = re.compile(r"\bremoved after (\d{4}-\d{2}-\d{2})\b", re.I)


@dataclass(frozen=True)
class Entry:
    """One ``[Unreleased]`` changelog line naming a schema coordinate."""

    line: str
    deprecated: date | None
    removed_after: date | None


@dataclass(frozen=True)
class Changelog:
    unreleased: dict[str, Entry]
    releases: dict[str, date]


@dataclass
class Report:
    """What the check found; ``problems`` fail it, ``warnings`` are printed only."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_changelog(text: str) -> Changelog:
    """The coordinates named under ``[Unreleased]`` and the date of each released version."""
    releases = {m["version"]: date.fromisoformat(m["date"]) for m in _RELEASE.finditer(text)}
    unreleased: dict[str, Entry] = {}
    start = _UNRELEASED.search(text)
    if start is not None:
        end = re.compile(r"^## ", re.M).search(text, start.end())
        for line in text[start.end() : end.start() if end else len(text)].splitlines():
            if not line.lstrip().startswith(("-", "*")):
                continue
            deprecated, removed = _DEPRECATED_ON.search(line), _REMOVED_AFTER.search(line)
            entry = Entry(
                line=line.strip(),
                deprecated=date.fromisoformat(deprecated[1]) if deprecated else None,
                removed_after=date.fromisoformat(removed[1]) if removed else None,
            )
            for coordinate in _CODE.findall(line):
                unreleased.setdefault(coordinate.strip(), entry)
    return Changelog(unreleased=unreleased, releases=releases)


def released_version(released_sdl: str) -> str | None:
    """The version named on the released schema's first line (see :func:`released_file_text`)."""
    first = released_sdl.split("\n", 1)[0]
    return first.removeprefix(RELEASE_HEADER).strip() if first.startswith(RELEASE_HEADER) else None


def released_file_text(version: str, current_sdl: str) -> str:
    """The released schema file: the version line, a warning, then the SDL byte for byte."""
    return (
        f"{RELEASE_HEADER}{version}\n"
        "# The schema partners have, copied from schema.graphql by `make release-schema`.\n"
        "# Never edit by hand: `aescrm schema check` compares schema.graphql with it.\n"
        f"{current_sdl}"
    )


def coordinate_of(change: BreakingChange) -> str | None:
    """The schema coordinate a breaking change is about, read from graphql-core's wording."""
    pattern = _COORDINATES.get(change.type)
    match = pattern.search(change.description) if pattern else None
    return match["c"] if match else None


def deprecations(schema: GraphQLSchema) -> dict[str, str]:
    """Every ``@deprecated`` element of the schema by coordinate, with its reason."""
    found: dict[str, str] = {}
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, output in named.fields.items():
                if output.deprecation_reason is not None:
                    found[f"{name}.{field_name}"] = output.deprecation_reason
                for arg_name, arg in output.args.items():
                    if arg.deprecation_reason is not None:
                        found[f"{name}.{field_name}({arg_name}:)"] = arg.deprecation_reason
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                if input_field.deprecation_reason is not None:
                    found[f"{name}.{field_name}"] = input_field.deprecation_reason
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                if value.deprecation_reason is not None:
                    found[f"{name}.{value_name}"] = value.deprecation_reason
    for directive in schema.directives:
        for arg_name, arg in directive.args.items():
            if arg.deprecation_reason is not None:
                found[f"@{directive.name}({arg_name}:)"] = arg.deprecation_reason
    return found


def check(
    released_sdl: str,
    current_sdl: str,
    changelog_text: str,
    *,
    today: date,
    min_days: int = MIN_DEPRECATION_DAYS,
) -> Report:
    """Compare the released schema with the current one under the changelog's promises."""
    report = Report()
    try:
        released, current = build_schema(released_sdl), build_schema(current_sdl)
    except GraphQLError as error:
        report.problems.append(f"a schema does not parse: {error.message}")
        return report
    changelog = read_changelog(changelog_text)
    version = released_version(released_sdl)
    released_on = changelog.releases.get(version or "")
    if version is None:
        report.problems.append(
            f"the released schema has no '{RELEASE_HEADER}<version>' first line; "
            "regenerate it with `make release-schema`"
        )
    elif released_on is None:
        report.problems.append(
            f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' section for the released schema"
        )
    released_deprecations = deprecations(released)
    for change in find_schema_changes(released, current):
        if isinstance(change, BreakingChange):
            problem = _breaking_problem(
                change, changelog, released_deprecations, released_on, today, min_days
            )
            if problem is None:
                report.accepted.append(change.description)
            else:
                report.problems.append(problem)
        elif isinstance(change, DangerousChange):
            report.warnings.append(
                f"{change.description} ({change.type.name}: may surprise "
                "clients that assumed the old set)"
            )
    for coordinate, reason in sorted(deprecations(current).items()):
        if not reason.strip() or reason == DEFAULT_DEPRECATION_REASON:
            report.problems.append(
                f"`{coordinate}` is @deprecated without a reason: say why and what to use "
                'instead (deprecation_reason="...")'
            )
        if coordinate not in released_deprecations and coordinate not in changelog.unreleased:
            report.problems.append(
                f"`{coordinate}` is newly @deprecated but CHANGELOG.md's [Unreleased] does not "
                "name it: announce it under '### Deprecated' with the date it may be removed"
            )
    return report


def _breaking_problem(
    change: BreakingChange,
    changelog: Changelog,
    released_deprecations: dict[str, str],
    released_on: date | None,
    today: date,
    min_days: int,
) -> str | None:
    """Why this breaking change may not land, or None when the changelog covers it."""
    coordinate = coordinate_of(change)
    said = f"Breaking change: {change.description}"
    if coordinate is None:
        return f"{said} (graphql-core's wording for {change.type.name} was not recognised)"
    expected = _ENTRY_FORMAT.format(coordinate=coordinate, days=min_days)
    entry = changelog.unreleased.get(coordinate)
    if entry is None:
        return (
            f"{said} Partners may rely on `{coordinate}`: list it under [Unreleased] in "
            f"CHANGELOG.md as {expected}."
        )
    if entry.deprecated is None or entry.removed_after is None:
        return f"{said} CHANGELOG.md names `{coordinate}` without both dates; write {expected}."
    period = (entry.removed_after - entry.deprecated).days
    if period < min_days:
        return (
            f"{said} The deprecation period of `{coordinate}` is {period} days "
            f"({entry.deprecated} to {entry.removed_after}); partners get at least {min_days}, "
            f"so not before {entry.deprecated + timedelta(days=min_days)}."
        )
    if released_on is not None and entry.deprecated > released_on:
        return (
            f"{said} `{coordinate}` is said deprecated on {entry.deprecated}, after the last "
            f"release ({released_on}): partners have not been told; deprecate it in a release."
        )
    if today < entry.removed_after:
        return (
            f"{said} `{coordinate}` was promised until {entry.removed_after}; "
            f"it may not be removed before then (today is {today})."
        )
    if change.type in _DEPRECATE_FIRST and coordinate not in released_deprecations:
        return (
            f"{said} `{coordinate}` was not @deprecated in the released schema: mark it "
            f"@deprecated (with a reason) in a release first, then remove it {min_days} days on."
        )
    return None
