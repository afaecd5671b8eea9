"""Photo series through GraphQL (both backends): series per area with photos in taken order,
refusals that change nothing, the marketing mark under the PHOTOS_IN_MARKETING consent, the
marketing gallery filtered at read time, who may read what, erasure and export."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from PIL import Image

from db.models import AuditEvent, Document, DomainEvent, Patient, PhotoSeries, PhotoSeriesItem
from db.models.privacy import RequestKind
from db.queries import photo_series as queries
from services import tenant_gate
from services.aesthetics import demo_photos
from services.consent import erasure, export, requests
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.graph.test_consent_api import RECORD, WITHDRAW
from tests.graph.test_restrictions_api import PLACE, placing
from tests.services.test_consent_ledger import staff
from tests.sql_counter import count_statements

SERIES_FIELDS = """
  id patientId area treatmentId createdAt
  items { id seriesId stage angle takenAt markedForMarketingAt
    document { id kind title hasThumbnail patientId } }
"""


def _mutation(name: str, input_type: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ series {{ {SERIES_FIELDS} }} }} }}"
    )


CREATE = _mutation("createPhotoSeries", "CreatePhotoSeriesInput")
ADD = _mutation("addPhotoToSeries", "AddPhotoToSeriesInput")
REMOVE = _mutation("removePhotoFromSeries", "PhotoSeriesItemInput")
MARK = _mutation("markPhotoForMarketing", "PhotoSeriesItemInput")
UNMARK = _mutation("unmarkPhotoForMarketing", "PhotoSeriesItemInput")
SERIES = "query S($id: ID!) { patient(id: $id) { id photoSeries { " + SERIES_FIELDS + " } } }"
MARKETING = """
query G($p: ID!, $first: Int, $after: String) {
  marketingPhotos(practiceId: $p, first: $first, after: $after) {
    edges { node { itemId seriesId area stage angle takenAt markedAt
      document { id kind contentType } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LINK = """
mutation L($input: CreateMarketingPhotoLinkInput!) {
  createMarketingPhotoLink(input: $input) { url expiresAt }
}"""
ACCESS_LOG = """
query Log($id: ID!) { patient(id: $id) { accessLog { edges { node { action entityId } } } } }
"""


def jpeg(width: int = 320, height: int = 240) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 160, 140)).save(out, "JPEG")
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient, token: str, patient_id: object, kind: str = "EXTRAORAL_PHOTO"
) -> str:
    response = await client.post(
        "/documents",
        params={"patientId": str(patient_id), "kind": kind, "title": "Face"},
        content=jpeg(),
        headers={"authorization": f"Bearer {token}", "content-type": "image/jpeg"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def photos_consent(patient_id: object) -> dict[str, object]:
    return {
        "input": {
            "patientId": str(patient_id),
            "purpose": "PHOTOS_IN_MARKETING",
            "policyVersion": "photos-v1",
            "method": "RECEPTION",
        }
    }


async def _ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await gql(client, doc, {"input": values}, token=token)
    assert result.errors == [], result.errors
    series: dict[str, Any] = next(iter(result.data.values()))["series"]
    return series


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


def _at(hours_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()


class Clinic:
    def __init__(self) -> None:
        self.tokens: dict[Role, str] = {}

    async def build(self, client: httpx.AsyncClient, **patient: Any) -> Clinic:
        self.practice = await factories.practice()
        self.patient = await factories.patient(self.practice, **patient)
        self.other = await factories.patient(self.practice)
        for role in (Role.DENTIST, Role.RECEPTIONIST, Role.PRACTICE_ADMIN):
            self.tokens[role] = factories.access_token(await factories.user(role, self.practice))
        self.dentist = self.tokens[Role.DENTIST]
        self.desk = self.tokens[Role.RECEPTIONIST]
        self.photos = [await upload(client, self.dentist, self.patient.id) for _ in range(2)]
        return self

    async def series_with_photos(self, client: httpx.AsyncClient) -> dict[str, Any]:
        series = await _ok(
            client, CREATE, self.dentist, patientId=str(self.patient.id), area="LIPS"
        )
        series = await _ok(
            client,
            ADD,
            self.dentist,
            seriesId=series["id"],
            documentId=self.photos[0],
            stage="AFTER",
            angle="FRONT",
            takenAt=_at(1),
        )
        return await _ok(
            client,
            ADD,
            self.dentist,
            seriesId=series["id"],
            documentId=self.photos[1],
            stage="BEFORE",
            angle="LEFT_45",
            takenAt=_at(48),
        )

    async def gallery(self, client: httpx.AsyncClient, token: str | None = None) -> list[str]:
        result = await gql(
            client, MARKETING, {"p": str(self.practice.id)}, token=token or self.desk
        )
        assert result.errors == [], result.errors
        return [e["node"]["itemId"] for e in result.data["marketingPhotos"]["edges"]]


async def test_series_group_photos_in_taken_order_and_read_is_audited(
    client: httpx.AsyncClient,
) -> None:
    clinic = await Clinic().build(client)
    series = await clinic.series_with_photos(client)
    assert series["area"] == "LIPS"
    assert series["patientId"] == str(clinic.patient.id)
    # The BEFORE photo was taken two days earlier: it lists first whatever the adding order.
    assert [i["stage"] for i in series["items"]] == ["BEFORE", "AFTER"]
    assert [i["document"]["id"] for i in series["items"]] == clinic.photos[::-1]
    assert all(i["document"]["kind"] == "EXTRAORAL_PHOTO" for i in series["items"])
    assert all(i["document"]["hasThumbnail"] for i in series["items"])

    read = await gql(client, SERIES, {"id": str(clinic.patient.id)}, token=clinic.dentist)
    assert read.errors == [], read.errors
    listed = read.data["patient"]["photoSeries"]
    assert [s["id"] for s in listed] == [series["id"]]
    assert [i["angle"] for i in listed[0]["items"]] == ["LEFT_45", "FRONT"]
    reads = await AuditEvent.filter(entity_type="PhotoSeries", action__startswith="READ").count()
    assert reads >= 1
    assert await DomainEvent.filter(type="PHOTO_SERIES_CHANGED").count() == 3

    removed = await _ok(client, REMOVE, clinic.dentist, itemId=series["items"][0]["id"])
    assert [i["stage"] for i in removed["items"]] == ["AFTER"]
    assert await Document.filter(id=clinic.photos[1]).exists()  # the document stays


async def test_bad_photos_are_refused_and_nothing_changes(client: httpx.AsyncClient) -> None:
    clinic = await Clinic().build(client)
    series = await _ok(
        client, CREATE, clinic.dentist, patientId=str(clinic.patient.id), area="CHIN"
    )
    xray = await upload(client, clinic.dentist, clinic.patient.id, kind="XRAY")
    others = await upload(client, clinic.dentist, clinic.other.id)
    base = {"seriesId": series["id"], "stage": "BEFORE", "angle": "FRONT", "takenAt": _at(1)}

    async def refused(code: str, field: str | None, **values: Any) -> None:
        result = await _do(client, ADD, clinic.dentist, **{**base, **values})
        assert result.codes == [code], result.errors
        if field is not None:
            assert result.errors[0]["extensions"]["field"] == field

    await refused("NOT_FOUND", None, documentId=others)  # another patient's photo
    await refused("NOT_FOUND", None, documentId=str(uuid4()))
    await refused("BAD_USER_INPUT", "documentId", documentId=xray)
    await refused(
        "BAD_USER_INPUT",
        "takenAt",
        documentId=clinic.photos[0],
        takenAt=(datetime.now(UTC) + timedelta(days=2)).isoformat(),
    )
    await refused("BAD_USER_INPUT", "seriesId", seriesId="not-an-id", documentId=clinic.photos[0])
    assert await PhotoSeriesItem.filter(series_id=series["id"]).count() == 0

    await _ok(client, ADD, clinic.dentist, **{**base, "documentId": clinic.photos[0]})
    await refused("CONFLICT", "documentId", documentId=clinic.photos[0])
    assert await PhotoSeriesItem.filter(series_id=series["id"]).count() == 1

    wrong_treatment = await _do(
        client,
        CREATE,
        clinic.dentist,
        patientId=str(clinic.patient.id),
        area="CHIN",
        treatmentId=str(uuid4()),
    )
    assert wrong_treatment.codes == ["NOT_FOUND"]
    bad_area = await _do(
        client, CREATE, clinic.dentist, patientId=str(clinic.patient.id), area="EAR"
    )
    assert bad_area.codes == ["BAD_USER_INPUT"]  # not in the enum: rejected by the schema
    assert await PhotoSeries.filter(patient_id=clinic.patient.id).count() == 1


async def test_marketing_needs_consent_and_withdrawal_hides_the_photo_at_once(
    client: httpx.AsyncClient,
) -> None:
    clinic = await Clinic().build(client)
    series = await clinic.series_with_photos(client)
    item = series["items"][1]["id"]  # the AFTER photo

    refused = await _do(client, MARK, clinic.dentist, itemId=item)
    assert refused.codes == ["CONFLICT"]
    assert refused.errors[0]["extensions"]["field"] == "itemId"
    assert (await PhotoSeriesItem.get(id=item)).marketing_marked_at is None

    granted = await gql(client, RECORD, photos_consent(clinic.patient.id), token=clinic.desk)
    assert granted.errors == [], granted.errors
    marked = await _ok(client, MARK, clinic.dentist, itemId=item)
    assert marked["items"][1]["markedForMarketingAt"] is not None
    assert await clinic.gallery(client) == [item]
    # A practice admin (no clinical scope) sees it too; the document's title stays clinical.
    admin = await gql(
        client,
        MARKETING.replace("document { id", "document { title id"),
        {"p": str(clinic.practice.id)},
        token=clinic.tokens[Role.PRACTICE_ADMIN],
    )
    assert admin.codes == ["FORBIDDEN"]
    assert admin.errors[0]["path"][-1] == "title"
    node = admin.data["marketingPhotos"]["edges"][0]["node"]
    assert node["document"]["title"] is None
    assert node["area"] == "LIPS"
    assert await AuditEvent.filter(entity_type="PhotoSeriesItem", entity_id=item).exists()

    # Reception (no clinical scope) opens the gallery's photo through a link, and only it.
    link = await gql(client, LINK, {"input": {"itemId": item}}, token=clinic.desk)
    assert link.errors == [], link.errors
    url = link.data["createMarketingPhotoLink"]["url"]
    assert "/thumbnail?link=" in url
    opened = await client.get(url)
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "image/jpeg"
    desk_header = {"authorization": f"Bearer {clinic.desk}"}
    photo = series["items"][1]["document"]["id"]
    assert (await client.get(f"/documents/{photo}", headers=desk_header)).status_code == 200
    other_photo = series["items"][0]["document"]["id"]  # in the series, not marked
    assert (await client.get(f"/documents/{other_photo}", headers=desk_header)).status_code == 403
    unmarked = await gql(
        client, LINK, {"input": {"itemId": series["items"][0]["id"]}}, token=clinic.desk
    )
    assert unmarked.codes == ["NOT_FOUND"]

    withdrawn = await gql(client, WITHDRAW, photos_consent(clinic.patient.id), token=clinic.desk)
    assert withdrawn.errors == [], withdrawn.errors
    assert await clinic.gallery(client) == []
    # The withdrawal ends opening too: the same link, and a new one, are refused.
    assert (await client.get(url)).status_code == 403
    again = await gql(client, LINK, {"input": {"itemId": item}}, token=clinic.desk)
    assert again.codes == ["NOT_FOUND"]
    # The mark stays (history), but a re-grant does not bring the photo back by itself.
    assert (await PhotoSeriesItem.get(id=item)).marketing_marked_at is not None
    await gql(client, RECORD, photos_consent(clinic.patient.id), token=clinic.desk)
    assert await clinic.gallery(client) == []
    await _ok(client, MARK, clinic.dentist, itemId=item)
    assert await clinic.gallery(client) == [item]

    await _ok(client, UNMARK, clinic.dentist, itemId=item)
    assert await clinic.gallery(client) == []


async def test_restricted_or_objecting_patients_photos_leave_the_gallery(
    client: httpx.AsyncClient,
) -> None:
    clinic = await Clinic().build(client)
    series = await clinic.series_with_photos(client)
    await gql(client, RECORD, photos_consent(clinic.patient.id), token=clinic.desk)
    item = series["items"][0]["id"]
    await _ok(client, MARK, clinic.dentist, itemId=item)
    assert await clinic.gallery(client) == [item]
    placed = await gql(
        client,
        PLACE,
        placing(clinic.patient.id, "OBJECTION"),
        token=clinic.tokens[Role.PRACTICE_ADMIN],
    )
    assert placed.errors == [], placed.errors
    assert await clinic.gallery(client) == []


async def test_the_gallery_is_one_statement_and_pages(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await Clinic().build(client)
    series = await clinic.series_with_photos(client)
    await gql(client, RECORD, photos_consent(clinic.patient.id), token=clinic.desk)
    for item in series["items"]:
        await _ok(client, MARK, clinic.dentist, itemId=item["id"])
    pid = tenant_gate.operator_practice(clinic.practice.id)
    with count_statements(monkeypatch) as counted:
        rows = await queries.marketing(pid, None, first=10, after=None)
    assert len(counted) == 1, counted
    assert len(rows) == 2
    assert {r.document.kind for r in rows} == {"EXTRAORAL_PHOTO"}  # loaded with the row
    first = await gql(
        client, MARKETING, {"p": str(clinic.practice.id), "first": 1}, token=clinic.desk
    )
    page = first.data["marketingPhotos"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await gql(
        client,
        MARKETING,
        {"p": str(clinic.practice.id), "first": 1, "after": page["pageInfo"]["endCursor"]},
        token=clinic.desk,
    )
    ids = [
        page["edges"][0]["node"]["itemId"],
        second.data["marketingPhotos"]["edges"][0]["node"]["itemId"],
    ]
    assert sorted(ids) == sorted(i["id"] for i in series["items"])


async def test_who_may_read_and_change_series(client: httpx.AsyncClient) -> None:
    clinic = await Clinic().build(client)
    series = await clinic.series_with_photos(client)
    # Reception reads the patient but not the clinical photo series, nor changes them.
    read = await gql(client, SERIES, {"id": str(clinic.patient.id)}, token=clinic.desk)
    assert read.data["patient"]["photoSeries"] is None
    assert read.codes == ["FORBIDDEN"]
    create = await _do(client, CREATE, clinic.desk, patientId=str(clinic.patient.id), area="NECK")
    assert create.codes == ["FORBIDDEN"]
    mark = await _do(client, MARK, clinic.desk, itemId=series["items"][0]["id"])
    assert mark.codes == ["FORBIDDEN"]
    # Another practice's dentist: the series, its items and the patient look absent.
    elsewhere = await factories.practice()
    stranger = factories.access_token(await factories.user(Role.DENTIST, elsewhere))
    for doc, values in (
        (REMOVE, {"itemId": series["items"][0]["id"]}),
        (MARK, {"itemId": series["items"][0]["id"]}),
        (
            ADD,
            {
                "seriesId": series["id"],
                "documentId": clinic.photos[0],
                "stage": "AFTER",
                "angle": "UP",
                "takenAt": _at(2),
            },
        ),
        (CREATE, {"patientId": str(clinic.patient.id), "area": "NECK"}),
    ):
        assert (await _do(client, doc, stranger, **values)).codes == ["NOT_FOUND"]
    foreign = await gql(client, MARKETING, {"p": str(clinic.practice.id)}, token=stranger)
    assert foreign.codes == ["NOT_FOUND"]
    # The patient reads their own series.
    user = await factories.user(Role.PATIENT, clinic.practice, patient_id=clinic.patient.id)
    own = await gql(
        client, SERIES, {"id": str(clinic.patient.id)}, token=factories.access_token(user)
    )
    assert own.errors == [], own.errors
    assert [s["id"] for s in own.data["patient"]["photoSeries"]] == [series["id"]]
    gallery = await gql(
        client, MARKETING, {"p": str(clinic.practice.id)}, token=factories.access_token(user)
    )
    assert gallery.codes == ["FORBIDDEN"]


async def test_erasure_deletes_series_before_their_photos(
    client: httpx.AsyncClient,
) -> None:
    long_gone = datetime(2001, 3, 1, tzinfo=UTC)  # past clinical retention: erasure goes ahead
    clinic = await Clinic().build(
        client, date_of_birth=date(1931, 1, 1), last_activity_at=long_gone
    )
    series = await clinic.series_with_photos(client)
    kept = await upload(client, clinic.dentist, clinic.other.id)
    other = await _ok(client, CREATE, clinic.dentist, patientId=str(clinic.other.id), area="NOSE")
    await _ok(
        client,
        ADD,
        clinic.dentist,
        seriesId=other["id"],
        documentId=kept,
        stage="BEFORE",
        angle="FRONT",
        takenAt=_at(3),
    )
    exported = await export.document(clinic.patient.id)
    assert {r["id"] for r in exported["records"]["photo_series"]} == {series["id"]}
    assert len(exported["records"]["photo_series_item"]) == 2
    assert {r["document_id"] for r in exported["records"]["photo_series_item"]} == set(
        clinic.photos
    )

    admin = await staff(clinic.practice, Role.PRACTICE_ADMIN)
    request = await requests.receive(
        admin, patient_id=clinic.patient.id, kind=RequestKind.ERASURE, received_at=None
    )
    verdicts = {v.category: v.action for v in await erasure.erase(admin, request_id=request.id)}
    assert verdicts["CLINICAL"] != "KEPT", verdicts
    assert await PhotoSeries.filter(patient_id=clinic.patient.id).count() == 0
    assert await PhotoSeriesItem.filter(patient_id=clinic.patient.id).count() == 0
    assert await Document.filter(patient_id=clinic.patient.id).count() == 0
    # The other patient's series and photo are untouched.
    assert await PhotoSeriesItem.filter(patient_id=clinic.other.id).count() == 1
    assert await Document.filter(id=kept).exists()
    assert (await Patient.get(id=clinic.patient.id)).first_name == "Anonymised"


async def test_reads_show_in_the_patients_access_log(client: httpx.AsyncClient) -> None:
    clinic = await Clinic().build(client)
    series = await clinic.series_with_photos(client)
    await gql(client, SERIES, {"id": str(clinic.patient.id)}, token=clinic.dentist)
    log = await gql(
        client, ACCESS_LOG, {"id": str(clinic.patient.id)}, token=clinic.tokens[Role.PRACTICE_ADMIN]
    )
    assert log.errors == [], log.errors
    entities = {e["node"]["entityId"] for e in log.data["patient"]["accessLog"]["edges"]}
    assert series["id"] in entities


async def test_demo_photos_go_through_the_real_paths(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patients = [await factories.patient(practice) for _ in range(4)]
    dentist = await factories.user(Role.DENTIST, practice)
    stored = await demo_photos.seed_photos(practice, patients, dentist, random.Random(7))
    assert stored == 12  # three series, before and after, two angles each
    assert await PhotoSeries.filter(practice_id=practice.id).count() == 3
    kinds = await Document.filter(practice_id=practice.id).values_list("kind", flat=True)
    assert set(kinds) == {"EXTRAORAL_PHOTO"}
    assert await Document.filter(practice_id=practice.id, thumbnail_key__isnull=True).count() == 0
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    shown = await gql(client, MARKETING, {"p": str(practice.id)}, token=desk)
    nodes = [e["node"] for e in shown.data["marketingPhotos"]["edges"]]
    assert [(n["stage"], n["angle"], n["area"]) for n in nodes] == [("AFTER", "FRONT", "LIPS")]
