"""Which encryption keys each running process holds, so a rotation step can wait for all of them.

Every server and job worker writes its row on a timer (``services.key_presence``): the key ids of
its ring, its current key and until when the row counts as live. ``aescrm rotate-keys --promote``
refuses while a live process does not know the key yet, because that process could not read a
value written with it. A process that stops cleanly deletes its row; a killed one's row stops
counting when ``expires_at`` passes.
"""

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model


class ProcessKeys(Model):
    # host:pid:random, unique per process start (a restarted pid is a new process).
    process = fields.CharField(max_length=200, primary_key=True)
    kind = fields.CharField(max_length=16)
    key_ids: list[str] = fields.JSONField(default=list)
    current_key_id = fields.CharField(max_length=64)
    started_at = fields.DatetimeField()
    seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "process": "a host name and process id, no patient data",
        "kind": "a fixed code: server or worker",
        "key_ids": "key identifiers only, never key material",
        "current_key_id": "a key identifier, never key material",
    }

    class Meta:
        table = "process_keys"
