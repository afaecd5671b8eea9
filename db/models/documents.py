"""Patient documents and images. The bytes live sealed in a document store, never here.

A row names its blob (opaque key), the file's key wrapped by the key ring, and what the bytes
were proven to be at upload. Title and file name are patient data and are encrypted; the rest
is what a list needs without decrypting anything.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class Document(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="documents", on_delete=fields.RESTRICT
    )
    patient_id: str
    appointment_id = fields.UUIDField(null=True)
    kind = fields.CharField(max_length=24)
    title = fields.TextField()  # ciphertext
    filename = fields.TextField(null=True)  # ciphertext
    content_type = fields.CharField(max_length=64)
    size_bytes = fields.BigIntField()
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    sha256 = fields.CharField(max_length=64)  # of the sealed blob: integrity, not identity
    blob_key = fields.CharField(max_length=80)
    thumbnail_key = fields.CharField(max_length=80, null=True)
    wrapped_key = fields.TextField()  # the file key, sealed by the key ring
    uploaded_by_user_id = fields.UUIDField(null=True)
    uploaded_by_client_id = fields.CharField(max_length=64, null=True)
    erased_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "content_type": "a media type proven from the bytes, from a closed list",
        "sha256": "a digest of the sealed blob, which reveals nothing of the file",
        "blob_key": "a random opaque storage name",
        "thumbnail_key": "a random opaque storage name",
        "uploaded_by_client_id": "a partner application's public client id",
    }

    class Meta:
        table = "document"
        indexes = (("patient_id", "created_at"),)
