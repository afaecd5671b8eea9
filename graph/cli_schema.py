"""``aescrm schema``: guard the partner contract (``check``) and record a release (``release``).

``make lint`` runs ``check`` so CI refuses a breaking change the changelog does not announce;
``make release-schema`` runs ``release`` when a version is cut. See ``graph.schema_changes``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from graph.release import VERSION
from graph.schema_changes import MIN_DEPRECATION_DAYS, check, read_changelog, released_file_text

schema_app = typer.Typer(help="Compare the schema with the last release; record a release.")

CURRENT = Path("schema.graphql")
RELEASED = Path("schema.released.graphql")
CHANGELOG = Path("CHANGELOG.md")
CurrentOption = Annotated[Path, typer.Option(help="The current schema (make schema writes it)")]
ReleasedOption = Annotated[Path, typer.Option(help="The last released schema")]
ChangelogOption = Annotated[Path, typer.Option(help="Keep a Changelog file")]


@schema_app.command("check")
def check_command(
    current: CurrentOption = CURRENT,
    released: ReleasedOption = RELEASED,
    changelog: ChangelogOption = CHANGELOG,
    min_days: Annotated[
        int, typer.Option(help="Shortest deprecation period a removal may have")
    ] = MIN_DEPRECATION_DAYS,
    today: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD to judge removal dates by (default: today)")
    ] = None,
) -> None:
    """Fail (exit 1) on a breaking change CHANGELOG.md does not announce; warn on dangerous ones."""
    report = check(
        released.read_text(encoding="utf-8"),
        current.read_text(encoding="utf-8"),
        changelog.read_text(encoding="utf-8"),
        today=date.fromisoformat(today) if today else datetime.now(UTC).date(),
        min_days=min_days,
    )
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for accepted in report.accepted:
        typer.echo(f"announced: {accepted}")
    for problem in report.problems:
        typer.echo(f"error: {problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)
    typer.echo(f"{current} keeps the contract of {released}")


@schema_app.command("release")
def release_command(
    current: CurrentOption = CURRENT,
    released: ReleasedOption = RELEASED,
    changelog: ChangelogOption = CHANGELOG,
) -> None:
    """Record the current schema as the one released in this version (pyproject's)."""
    if VERSION not in read_changelog(changelog.read_text(encoding="utf-8")).releases:
        typer.echo(
            f"error: CHANGELOG.md has no '## [{VERSION}] - YYYY-MM-DD' section: move the "
            "[Unreleased] entries into it (and set [project].version) before releasing",
            err=True,
        )
        raise typer.Exit(1)
    released.write_text(
        released_file_text(VERSION, current.read_text(encoding="utf-8")), encoding="utf-8"
    )
    typer.echo(f"{released} is now the schema of {VERSION}")
