"""``aescrm documents register|remove``, the real console script against the test's database
(SQLite and PostgreSQL): ids printed per file, checked against the schema (one bad file stores
nothing), for a partner app or the first-party set; removal bumps the app's documents version."""

from __future__ import annotations

from pathlib import Path

from db.models import FIRST_PARTY_OWNER, PartnerClient, TrustedDocument
from services.auth import clients
from services.trusted_documents.ids import document_id_of
from tests import factories
from tests.test_cli import clean_env, run

PRACTICES = "query Practices { practices { id } }\n"
NOTICE = """mutation Announce($input: AnnouncePracticeNoticeInput!) {
  announcePracticeNotice(input: $input) { sequence }
}
"""


async def test_register_and_remove_from_the_command_line(db: str, tmp_path: Path) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    app = await clients.register(
        organization_id=org.id, name="Kiosk", scopes=["practice:read"], practice_ids=[practice.id]
    )
    env = clean_env(AESCRM_DATABASE_URL=db, AESCRM_VAR_DIR=str(tmp_path / "var"))
    first, second, bad = tmp_path / "a.graphql", tmp_path / "b.graphql", tmp_path / "bad.graphql"
    first.write_text(PRACTICES)
    second.write_text(NOTICE)
    bad.write_text("{ practices { noSuchField } }")

    printed = run(
        "documents", "register", "--client", app.client_id, str(first), str(second), env=env
    )
    assert printed.stdout.splitlines() == [
        f"{document_id_of(PRACTICES)}  {first}",
        f"{document_id_of(NOTICE)}  {second}",
    ]
    stored = await TrustedDocument.filter(owner=app.client_id).order_by("document_id")
    assert sorted([(d.document_id, d.body) for d in stored]) == sorted(
        [(document_id_of(PRACTICES), PRACTICES), (document_id_of(NOTICE), NOTICE)]
    )
    assert {str(d.organization_id) for d in stored} == {str(org.id)}

    refused = run(
        "documents", "register", "--first-party", str(first), str(bad), env=env, check=False
    )
    assert refused.returncode == 2
    assert "Document 2 is not valid" in refused.stderr
    assert await TrustedDocument.filter(owner=FIRST_PARTY_OWNER).count() == 0

    own = run("documents", "register", "--first-party", str(first), env=env)
    assert own.stdout.split() == [document_id_of(PRACTICES), str(first)]
    assert await TrustedDocument.filter(owner=FIRST_PARTY_OWNER).count() == 1

    removed = run(
        "documents", "remove", "--client", app.client_id, document_id_of(PRACTICES), env=env
    )
    assert removed.stdout.split() == [document_id_of(PRACTICES)]
    assert await TrustedDocument.filter(owner=app.client_id).count() == 1
    assert (await PartnerClient.get(client_id=app.client_id)).documents_version == 1
    assert await TrustedDocument.filter(owner=FIRST_PARTY_OWNER).count() == 1  # another owner's
