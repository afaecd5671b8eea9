"""``aescrm legal-hold place|lift|list`` and ``aescrm export-patient``.

Each acts as the staff account named by ``--by`` (who asked for it), so the same scopes apply
as over the API (``legal_hold:write``; ``consent:write`` for exports) and the audit log names
that person.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from graph.cli_progress import per_name

hold_app = typer.Typer(help="Place, lift and list legal holds (retention waits while held).")

By = Annotated[str, typer.Option("--by", help="Email of the staff member who asked for it")]


def _hold_json(row: Any) -> str:
    keys = (
        *("id", "practice_id", "patient_id", "reason", "held_until", "placed_by_user_id"),
        *("released_at", "released_by_user_id", "release_reason"),
    )
    return json.dumps({k: None if getattr(row, k) is None else str(getattr(row, k)) for k in keys})


def _run(work: Any) -> Any:
    from graph.cli import cli_settings, with_database
    from services.errors import DomainError

    settings = cli_settings()
    try:
        return with_database(settings, work)
    except (DomainError, ValueError) as error:
        typer.echo(f"error: {getattr(error, 'message', error)}", err=True)
        raise typer.Exit(2) from None


@hold_app.command("place")
def place(
    by: By,
    practice: Annotated[str, typer.Option(help="Practice id")],
    reason: Annotated[str, typer.Option(help="Why (3-300 characters, no health data)")],
    patient: Annotated[str | None, typer.Option(help="Patient id; omit: whole practice")] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day it applies, YYYY-MM-DD; omit: until lifted")
    ] = None,
) -> None:
    """Place a legal hold (audited); prints the hold as JSON."""
    from services.consent import legal_holds

    async def work() -> Any:
        principal = await legal_holds.acting_as(by)
        return await legal_holds.place(
            principal,
            practice_id=UUID(practice),
            patient_id=UUID(patient) if patient else None,
            reason=reason,
            until=date.fromisoformat(until) if until else None,
        )

    typer.echo(_hold_json(_run(work)))


@hold_app.command("lift")
def lift(
    hold_id: str,
    by: By,
    reason: Annotated[str, typer.Option(help="Why it is lifted (3-300 characters)")],
) -> None:
    """Lift a legal hold (audited); prints the hold as JSON."""
    from services.consent import legal_holds

    async def work() -> Any:
        principal = await legal_holds.acting_as(by)
        return await legal_holds.lift(principal, hold_id=UUID(hold_id), reason=reason)

    typer.echo(_hold_json(_run(work)))


@hold_app.command("list")
def listed(
    by: By,
    practice: Annotated[str, typer.Option(help="Practice id")],
    all_holds: Annotated[
        bool, typer.Option("--all", help="Include lifted and ended holds")
    ] = False,
) -> None:
    """List the legal holds of a practice, one JSON object per line."""
    from services.consent import legal_holds

    async def work() -> Any:
        principal = await legal_holds.acting_as(by)
        return await legal_holds.listed(
            principal, practice_id=UUID(practice), in_force_only=not all_holds
        )

    for row in _run(work):
        typer.echo(_hold_json(row))


def export_patient(
    patient_id: str,
    by: By,
    output: Annotated[Path, typer.Option(help="File to write the JSON export to")],
) -> None:
    """Write a patient's complete export (aescrm.patient-export/1) to a file, with progress."""
    from services.consent import export, legal_holds

    async def work() -> Any:
        principal = await legal_holds.acting_as(by)
        with per_name("export") as report:
            return await export.export_patient_data(
                principal, patient_id=UUID(patient_id), on_table=report
            )

    doc = _run(work)
    output.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"exported {len(doc['tables'])} tables to {output}")
