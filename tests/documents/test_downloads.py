"""downloadUrl and GET /files: signed links, bearer tokens, and one 404 for everything else."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from docat.resources import Resources
from docat.settings import load_settings
from docat.storage import open_storage
from graphql_api.files import DOWNLOAD_TTL_SECONDS, sign_download
from tests.documents.conftest import RecordingQueue, finish_run, uploaded
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.s3_server import s3_settings

DOWNLOAD_URL = "query($id: ID!, $f: ExportFormat!) { document(id: $id) { downloadUrl(format: $f) } }"


async def download_url(gql: GraphQLClient, token: str, doc_id: str, fmt: str) -> str | None:
    data = (await gql.execute(DOWNLOAD_URL, {"id": doc_id, "f": fmt}, token=token)).ok()
    url: str | None = data["document"]["downloadUrl"]
    return url


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path


@pytest.fixture
async def finished(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources
) -> dict[str, Any]:
    doc = await uploaded(gql, user_token)
    await finish_run(resources, doc["uuid"])
    return doc


async def test_a_signed_link_downloads_with_the_users_name(
    gql: GraphQLClient, user_token: str, finished: dict[str, Any], resources: Resources
) -> None:
    url = await download_url(gql, user_token, finished["id"], "MARKDOWN")
    assert url is not None and url.startswith("http://testserver/files/")
    query = parse_qs(urlsplit(url).query)
    expires = int(query["expires"][0])
    assert time.time() < expires <= time.time() + DOWNLOAD_TTL_SECONDS + 5
    response = await gql.http.get(url)  # no token: the signature is enough
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="report.md"'
    stored = await resources.storage.get_bytes(f"documents/{finished['uuid']}/content.md")
    assert response.content == stored

    original = await gql.http.get(str(await download_url(gql, user_token, finished["id"], "ORIGINAL")))
    assert original.status_code == 200 and original.headers["content-type"] == "application/pdf"
    assert original.headers["content-disposition"] == 'attachment; filename="report.pdf"'
    assert original.content.startswith(b"%PDF")


async def test_expired_and_tampered_signatures_are_not_found(
    gql: GraphQLClient, user_token: str, finished: dict[str, Any], resources: Resources
) -> None:
    settings = resources.settings
    doc_id = finished["uuid"]
    base = f"/files/{doc_id}/JSON"
    past = int(time.time()) - 10
    expired = await gql.http.get(
        base, params={"expires": past, "sig": sign_download(settings, doc_id, "JSON", past)}
    )
    assert expired.status_code == 404

    url = str(await download_url(gql, user_token, finished["id"], "JSON"))
    query = parse_qs(urlsplit(url).query)
    expires, sig = query["expires"][0], query["sig"][0]
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    cases = [
        {"expires": expires, "sig": flipped},  # tampered signature
        {"expires": str(int(expires) + 3600), "sig": sig},  # extended expiry
        {"expires": expires},  # no signature
        {},
    ]
    for params in cases:
        assert (await gql.http.get(base, params=params)).status_code == 404, params
    # A signature for one format opens no other.
    assert (
        await gql.http.get(f"/files/{doc_id}/TEXT", params={"expires": expires, "sig": sig})
    ).status_code == 404
    assert (await gql.http.get(url)).status_code == 200


async def test_bearer_tokens_of_the_owner_and_admins(
    gql: GraphQLClient,
    user_token: str,
    other_token: str,
    admin_token: str,
    finished: dict[str, Any],
) -> None:
    path = f"/files/{finished['uuid']}/TEXT"
    for token, status in [(user_token, 200), (admin_token, 200), (other_token, 404), ("not-a-token", 404)]:
        response = await gql.http.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, token
    assert (await gql.http.get(path)).status_code == 404


async def test_what_does_not_exist_is_the_same_404(
    gql: GraphQLClient, user_token: str, finished: dict[str, Any], resources: Resources
) -> None:
    auth = {"Authorization": f"Bearer {user_token}"}
    missing = "00000000-0000-0000-0000-000000000000"
    for path in [
        f"/files/{missing}/JSON",  # no such document
        "/files/not-a-uuid/JSON",
        f"/files/{finished['uuid']}/EXE",  # no such format
        f"/files/{finished['uuid']}/DUAL_PDF",  # not produced
    ]:
        response = await gql.http.get(path, headers=auth)
        assert (response.status_code, response.text) == (404, "Not Found"), path
    # A format listed but whose file is gone.
    await resources.storage.delete(f"documents/{finished['uuid']}/content.txt")
    assert (await gql.http.get(f"/files/{finished['uuid']}/TEXT", headers=auth)).status_code == 404


@pytest.fixture
async def s3_storage(resources: Resources, s3_bucket: str, s3_endpoint: str) -> AsyncIterator[Any]:
    """The running app on an S3 bucket (moto server) for one test."""
    local = resources.storage
    s3 = await open_storage(
        load_settings(data_dir=resources.settings.data_dir, **s3_settings(s3_bucket, s3_endpoint))
    )
    resources.storage = s3
    try:
        yield s3
    finally:
        resources.storage = local
        await s3.close()


async def test_s3_hands_out_presigned_urls(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources, s3_storage: Any
) -> None:
    doc = await uploaded(gql, user_token)
    await finish_run(resources, doc["uuid"])
    url = str(await download_url(gql, user_token, doc["id"], "JSON"))
    assert "X-Amz-Signature=" in url and "/files/" not in url
    async with httpx.AsyncClient() as client:  # the real moto server over HTTP
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == 'attachment; filename="report.json"'
        assert response.json()["pageCount"] == 2
        original = await client.get(str(await download_url(gql, user_token, doc["id"], "ORIGINAL")))
        assert original.content.startswith(b"%PDF")
    # The original reached the bucket through put_stream, under an id-only key.
    assert await s3_storage.size(f"documents/{doc['uuid']}/original.pdf") == doc["sizeBytes"]
