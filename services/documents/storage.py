"""Where sealed files live: a directory (the embedded default) or an S3-compatible bucket.

Both hold only sealed blobs (``sealing``), named by an opaque key that says nothing about the
patient. The S3 store talks to any S3-compatible service (AWS S3, MinIO, Ceph RGW, Cloudflare R2,
Backblaze B2) through ``aiobotocore``; the endpoint, bucket and credentials are settings.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{62}$")


class StorageError(Exception):
    """A store could not be reached or refused a request (an operational fault)."""


class MissingBlob(StorageError):
    """The row names a blob the store does not hold."""


def new_key() -> str:
    """An opaque, unguessable blob name; the two-character prefix spreads files over folders."""
    token = secrets.token_hex(32)
    return f"{token[:2]}/{token[2:]}"


@dataclass(frozen=True, slots=True)
class StoredBlob:
    key: str
    modified_at: datetime


class DocumentStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    def listing(self) -> AsyncIterator[StoredBlob]: ...
    async def close(self) -> None: ...


def _checked(key: str) -> str:
    if not KEY_PATTERN.match(key):  # never a path that could climb out of the store
        raise ValueError("not a document blob key")
    return key


class FileSystemStore:
    """One file per blob, written to a temporary name, synced, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        with open(temporary, "wb", opener=lambda p, f: os.open(p, f, 0o600)) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def _get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MissingBlob(key) from None

    def _delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    def _list(self) -> list[StoredBlob]:
        found = []
        for path in self.root.glob("*/*"):
            key = path.relative_to(self.root).as_posix()
            if KEY_PATTERN.match(key):  # never a half-written ".part" file
                stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                found.append(StoredBlob(key, stamp))
        return found

    async def listing(self) -> AsyncIterator[StoredBlob]:
        for blob in await asyncio.to_thread(self._list):
            yield blob

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    endpoint_url: str | None = None  # None: AWS itself
    region: str = "eu-west-2"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    prefix: str = "documents/"


class S3Store:
    """An S3-compatible bucket; one client per process, opened on first use."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    from aiobotocore.session import get_session

                    stack = AsyncExitStack()
                    loc = self.location
                    self._client = await stack.enter_async_context(
                        get_session().create_client(
                            "s3",
                            endpoint_url=loc.endpoint_url,
                            region_name=loc.region,
                            aws_access_key_id=loc.access_key_id,
                            aws_secret_access_key=loc.secret_access_key,
                        )
                    )
                    self._stack = stack
        return self._client

    def _object(self, key: str) -> str:
        return self.location.prefix + _checked(key)

    async def put(self, key: str, data: bytes) -> None:
        client = await self._s3()
        try:
            await client.put_object(Bucket=self.location.bucket, Key=self._object(key), Body=data)
        except Exception as error:  # botocore's errors carry the endpoint, not patient data
            raise StorageError(f"S3 put failed: {type(error).__name__}") from error

    async def get(self, key: str) -> bytes:
        client = await self._s3()
        try:
            response = await client.get_object(Bucket=self.location.bucket, Key=self._object(key))
            async with response["Body"] as stream:
                return bytes(await stream.read())
        except client.exceptions.NoSuchKey:
            raise MissingBlob(key) from None
        except Exception as error:
            raise StorageError(f"S3 get failed: {type(error).__name__}") from error

    async def delete(self, key: str) -> None:
        client = await self._s3()
        try:
            await client.delete_object(Bucket=self.location.bucket, Key=self._object(key))
        except Exception as error:
            raise StorageError(f"S3 delete failed: {type(error).__name__}") from error

    async def listing(self) -> AsyncIterator[StoredBlob]:
        client = await self._s3()
        paginator = client.get_paginator("list_objects_v2")
        prefix = self.location.prefix
        try:
            async for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    key = str(item["Key"]).removeprefix(prefix)
                    if KEY_PATTERN.match(key):
                        yield StoredBlob(key, item["LastModified"])
        except Exception as error:
            raise StorageError(f"S3 list failed: {type(error).__name__}") from error

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self._client = None, None


__all__ = [
    "DocumentStore",
    "FileSystemStore",
    "MissingBlob",
    "S3Location",
    "S3Store",
    "StorageError",
    "StoredBlob",
    "new_key",
]
