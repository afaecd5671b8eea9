"""``aescrm documents register|remove``: trusted documents from files, for a partner app or
for the practice's own apps (the first-party set, ``AESCRM_TRUSTED_DOCUMENTS_FIRST_PARTY``).

Each file is one GraphQL document, registered byte for byte as read (its id hashes the exact
text; send that text's id). Every file is checked against the schema first; one invalid file
refuses them all and nothing is stored. Prints ``<id>  <file>`` per file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

documents_app = typer.Typer(help="Trusted documents (persisted operations).")


@documents_app.command("register")
def register(
    files: Annotated[list[Path], typer.Argument(help=".graphql files, one document each")],
    client: Annotated[
        str | None, typer.Option("--client", help="The partner app's OAuth client id")
    ] = None,
    first_party: Annotated[
        bool, typer.Option("--first-party", help="The practice's own apps' set")
    ] = False,
) -> None:
    """Register documents and print their ids."""
    from graph.cli import cli_settings, with_database
    from graph.schema import build_schema
    from graph.trusted_documents import schema_check
    from services.errors import DomainError
    from services.trusted_documents import registry
    from services.trusted_documents.ids import document_id_of

    _one_owner(client, first_party=first_party)
    try:
        texts = [path.read_bytes().decode("utf-8") for path in files]
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    settings = cli_settings()
    check = schema_check(build_schema(settings))
    try:
        with_database(
            settings,
            lambda: registry.register_as_operator(client_id=client, documents=texts, check=check),
        )
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None
    ids_per_file = [document_id_of(text) for text in texts]  # files with one text share one
    for document_id, path in zip(ids_per_file, files, strict=True):
        typer.echo(f"{document_id}  {path}")


@documents_app.command("remove")
def remove(
    document_ids: Annotated[list[str], typer.Argument(help="Document ids (sha256:...)")],
    client: Annotated[
        str | None, typer.Option("--client", help="The partner app's OAuth client id")
    ] = None,
    first_party: Annotated[
        bool, typer.Option("--first-party", help="The practice's own apps' set")
    ] = False,
) -> None:
    """Remove documents and print the ids removed (running servers stop running a removed
    first-party document within a minute, a partner app's at once)."""
    from graph.cli import cli_settings, with_database
    from services.errors import DomainError
    from services.trusted_documents import registry

    _one_owner(client, first_party=first_party)
    settings = cli_settings()
    try:
        gone = with_database(
            settings,
            lambda: registry.remove_as_operator(client_id=client, document_ids=document_ids),
        )
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None
    for document_id in gone:
        typer.echo(document_id)


def _one_owner(client: str | None, *, first_party: bool) -> None:
    if (client is None) == (not first_party):
        typer.echo("give exactly one of --client and --first-party", err=True)
        raise typer.Exit(2)
