"""Document tests run against both stores: a directory and a real S3-compatible HTTP server.

The S3 server is moto's standalone server (the S3 wire protocol over HTTP on a local port),
spoken to by the same aiobotocore client production uses against AWS, MinIO or R2.
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from graph.settings import Settings
from tests.conftest import make_settings

BUCKET = "aescrm-documents-test"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def settings(self) -> dict[str, Any]:
        return {
            "document_store": "s3",
            "s3_endpoint_url": self.endpoint,
            "s3_bucket": BUCKET,
            "s3_region": "eu-west-2",
            "s3_access_key_id": "test-access-key",
            "s3_secret_access_key": "test-secret-key",
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    asyncio.run(_create_bucket(endpoint))
    yield S3Server(endpoint)
    server.stop()


def _s3(endpoint: str) -> Any:
    from aiobotocore.session import get_session

    return get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-2",
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",
    )


async def _create_bucket(endpoint: str) -> None:
    async with _s3(endpoint) as s3:
        await s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )


async def s3_objects(endpoint: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    async with _s3(endpoint) as s3:
        listed = await s3.list_objects_v2(Bucket=BUCKET)
        for item in listed.get("Contents", []):
            response = await s3.get_object(Bucket=BUCKET, Key=item["Key"])
            async with response["Body"] as stream:
                found[item["Key"]] = await stream.read()
    return found


@pytest.fixture(params=["file", "s3"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, store_kind: str, request: pytest.FixtureRequest
) -> Settings:
    extra: dict[str, Any] = {"max_upload_bytes": 2 * 1024 * 1024}
    if store_kind == "s3":
        extra |= request.getfixturevalue("s3_server").settings()
    return make_settings(database_url, tmp_path, **extra)


def jpeg(width: int = 1200, height: int = 800, seed: int = 7) -> bytes:
    """A photo-like JPEG (noise, so it does not compress to nothing)."""
    image = Image.effect_noise((width, height), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()
