"""The upload limit: min(MAX_UPLOAD_MB, admin max_upload_mb), enforced twice.

The middleware answers 413 before starlette spools the body (declared
Content-Length, or counting a chunked body); the resolver enforces the exact
limit on the file while streaming it. Either way nothing stays behind.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from docat.errors import PayloadTooLarge
from docat.resources import Resources
from graphql_api.documents.upload import received_upload
from graphql_api.upload_limit import MIB, MULTIPART_OVERHEAD, UploadLimitMiddleware, upload_limit_bytes
from tests.documents.conftest import UPLOAD, LeftBehind, RecordingQueue, our_temp_files, upload
from tests.fixtures.graphql_client import GraphQLClient

BOUNDARY = "docat-test-boundary"


def multipart_parts(file_size: int, chunk: int = 256 * 1024) -> list[bytes]:
    """The multipart request spec's body, the file part as `file_size` bytes in chunks."""
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None, "options": None}})
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.file"]}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    ).encode()
    parts = [head]
    remaining = file_size
    while remaining > 0:
        parts.append(b"0" * min(chunk, remaining))
        remaining -= chunk
    parts.append(f"\r\n--{BOUNDARY}--\r\n".encode())
    return parts


def assert_413(response: httpx.Response, max_bytes: int) -> None:
    assert response.status_code == 413
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "maxBytes": max_bytes}


async def test_the_admin_setting_only_lowers_the_environment_limit(
    resources: Resources, admin_setting: Any
) -> None:
    settings = resources.settings
    assert await upload_limit_bytes(settings) == settings.max_upload_mb * MIB
    await admin_setting("max_upload_mb", "1")
    assert await upload_limit_bytes(settings) == MIB
    await admin_setting("max_upload_mb", str(settings.max_upload_mb + 10))
    assert await upload_limit_bytes(settings) == settings.max_upload_mb * MIB


async def test_a_declared_length_over_the_limit_is_refused_unread(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind, admin_setting: Any
) -> None:
    await admin_setting("max_upload_mb", "1")
    result_response = await gql.http.post(
        "/graphql",
        content=b"".join(multipart_parts(2 * MIB)),
        headers={
            "Authorization": f"Bearer {user_token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )
    assert_413(result_response, MIB)
    await left_behind.assert_nothing()


async def test_a_chunked_body_is_cut_off_once_past_the_limit(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind, admin_setting: Any
) -> None:
    await admin_setting("max_upload_mb", "1")
    parts = multipart_parts(8 * MIB)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for part in parts:
            sent += len(part)
            yield part

    response = await gql.http.post(
        "/graphql",
        content=body(),  # no Content-Length: Transfer-Encoding chunked
        headers={
            "Authorization": f"Bearer {user_token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_413(response, MIB)
    # Reading stopped soon after the limit: far from the 8 MiB offered.
    assert sent <= MIB + MULTIPART_OVERHEAD + 2 * 256 * 1024
    await left_behind.assert_nothing()


async def test_the_resolver_enforces_the_exact_limit(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind, admin_setting: Any
) -> None:
    await admin_setting("max_upload_mb", "1")
    # Under the middleware's allowance (limit + multipart overhead), over the limit itself.
    content = b"%PDF-1.7\n" + b"0" * (MIB + 64 * 1024)
    result = await upload(gql, user_token, content)
    assert result.codes == ["PAYLOAD_TOO_LARGE"]
    assert result.errors[0]["extensions"]["maxBytes"] == MIB
    await left_behind.assert_nothing()


async def test_only_multipart_posts_to_graphql_are_limited(resources: Resources, admin_setting: Any) -> None:
    """The middleware alone, around an app that reads every body (JSON has its own cap elsewhere)."""
    await admin_setting("max_upload_mb", "1")

    async def read_all(scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await PlainTextResponse(str(size))(scope, receive, send)

    guarded = UploadLimitMiddleware(read_all, settings=resources.settings)
    big = b"x" * (2 * MIB)
    multipart = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guarded), base_url="http://t") as client:
        json_post = await client.post("/graphql", content=big, headers={"Content-Type": "application/json"})
        elsewhere = await client.post("/other", content=big, headers=multipart)
        upload_post = await client.post("/graphql", content=big, headers=multipart)
    assert (json_post.status_code, json_post.text) == (200, str(len(big)))
    assert (elsewhere.status_code, elsewhere.text) == (200, str(len(big)))
    assert_413(upload_post, MIB)


class FakeUpload:
    def __init__(self, chunks: list[bytes], filename: str | None = "x.pdf") -> None:
        self.chunks = chunks
        self.filename: str | None = filename
        self.reads = 0

    async def read(self, size: int = -1) -> bytes:
        self.reads += 1
        return self.chunks.pop(0) if self.chunks else b""


async def test_received_upload_stops_at_the_limit_and_removes_its_temp_file(resources: Resources) -> None:
    fake = FakeUpload([b"%PDF" + b"0" * 96, b"0" * 100, b"0" * 100, b"0" * 100])
    with pytest.raises(PayloadTooLarge):
        async with received_upload(fake, resources.settings, 250):
            raise AssertionError("must not be reached")
    assert fake.reads == 3  # the over-limit chunk is the last one read
    assert our_temp_files(resources) == []


async def test_received_upload_hashes_while_streaming(resources: Resources) -> None:
    import hashlib

    data = [b"%PDF-1.7\n", b"a" * 1000, b"b" * 5]
    async with received_upload(FakeUpload(list(data), "a/b/c.pdf"), resources.settings, 10_000) as got:
        assert got.path.read_bytes() == b"".join(data)
        assert got.size == sum(map(len, data))
        assert got.sha256 == hashlib.sha256(b"".join(data)).hexdigest()
        assert got.filename == "c.pdf"
    assert not got.path.exists()
