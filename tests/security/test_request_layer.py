"""The request layer under attack: validation cost, secrets in logs, crafted input, leaks (issue 13).

"Refused before validation" is shown by a spy on the validation function, never by timing;
/health answering while a costly document is refused is a functional wait with slack.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import stat
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import graphql_api.validation as validation
from docat.errors import DocatError, RateLimited
from docat.logging import JsonFormatter
from docat.settings import Settings, load_settings
from graphql_api.hardening import MAX_SELECTIONS, THREAD_SELECTIONS
from graphql_api.http_protocol import MAX_BATCH_QUERY_LENGTH
from graphql_api.relay import to_global_id
from jobs.pdf.analyze import open_pdf
from jobs.pdf.errors import InvalidPdf
from models import User
from tests.fixtures.graphql_client import GraphQLClient
from tests.security.conftest import make_document, make_log

# The reviewer's document: 1,240 copies of one field, inside the token limit.
ME_1240 = "{" + " me{email}" * 1240 + "}"
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }"
CREATE_USER = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
DOCUMENTS_AFTER = "query($after: String) { documents(first: 5, after: $after) { edges { cursor } } }"
LOGS_AFTER = "query($after: String) { processingLogs(first: 5, after: $after) { edges { cursor } } }"
SEARCH = "query($s: String) { documents(search: $s) { totalCount } }"
USER_SEARCH = "query($s: String) { users(search: $s) { totalCount } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
SET = "mutation($k: String!, $v: String) { updateSetting(key: $k, value: $v) { key value } }"
SECRET = "hunter2-Correct-Horse"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The thread each validation of a document ran on."""
    threads: list[str] = []
    original = validation.validate_operation

    def spy(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args)

    monkeypatch.setattr(validation, "validate_operation", spy)
    return threads


def cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


# ---- item 2: validation cost ------------------------------------------------


async def test_the_1240_field_document_is_refused_before_validation_while_health_answers(
    app: Starlette, client: GraphQLClient, validations: list[str], resolver_calls: list[str]
) -> None:
    async def health() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return (await http.get("/health")).status_code

    refused, health_status = await asyncio.wait_for(
        asyncio.gather(client.execute(ME_1240), health()), timeout=10
    )
    assert refused.codes == ["BAD_USER_INPUT"]
    assert f"limit of {MAX_SELECTIONS}" in refused.errors[0]["message"]
    assert health_status == 200
    assert validations == [] and resolver_calls == []


async def test_a_large_document_is_validated_off_the_event_loop(
    client: GraphQLClient, user_token: str, validations: list[str]
) -> None:
    fields = " ".join(f"a{i}: me {{ email }}" for i in range(40)) + " me { id }" * (THREAD_SELECTIONS // 2)
    result = await client.execute("{ " + fields + " }", token=user_token)
    assert result.ok()["me"]["id"]
    assert validations and validations[0] != threading.main_thread().name


async def test_a_small_document_is_validated_in_place(
    client: GraphQLClient, user_token: str, validations: list[str]
) -> None:
    assert (await client.execute("{ me { email } }", token=user_token)).ok()["me"]["email"]
    assert validations == [threading.main_thread().name]


async def test_a_batch_of_ten_costly_documents_is_refused_before_parsing(
    client: GraphQLClient, validations: list[str], resolver_calls: list[str]
) -> None:
    response = await client.http.post("/graphql", json=[{"query": ME_1240}] * 10)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert str(MAX_BATCH_QUERY_LENGTH) in error["message"]
    assert validations == [] and resolver_calls == []


async def test_the_request_budget_is_charged_before_parsing(
    app: Starlette, client: GraphQLClient, monkeypatch: pytest.MonkeyPatch, validations: list[str]
) -> None:
    limiter = app.state.resources.rate_limiter

    async def exhausted(*args: object) -> None:
        raise RateLimited("request limit reached", retry_after=30)

    monkeypatch.setattr(limiter, "hit_request", exhausted)
    # Not even a syntax error is looked at: the budget refuses first.
    assert (await client.execute("{")).codes == ["RATE_LIMITED"]
    assert (await client.execute(ME_1240)).codes == ["RATE_LIMITED"]
    assert validations == []


# ---- item 4: no secrets in logs -----------------------------------------------


async def test_refused_register_and_create_user_log_no_password(
    client: GraphQLClient, admin_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    try:
        attempts = [
            (REGISTER, {"input": {"email": "a@example.com", "password": SECRET, "role": "ADMIN"}}, None),
            (REGISTER, {"input": {"email": "a@example.com", "password": [SECRET]}}, None),
            (CREATE_USER, {"input": {"email": "b@example.com", "password": SECRET, "x": 1}}, admin_token),
            (LOGIN, {"e": "a@example.com", "p": {"password": SECRET}}, None),
        ]
        for query, variables, token in attempts:
            result = await client.execute(query, variables, token=token)
            assert result.codes == ["BAD_USER_INPUT"], result.errors
        literal = f'mutation {{ register(input: {{email: "c@example.com", password: "{SECRET}", x: 1}}) {{ accessToken }} }}'
        # A bad argument value written in the document is bad input too, not a bad document.
        assert (await client.execute(literal)).codes == ["BAD_USER_INPUT"]
    finally:
        logging.getLogger().removeHandler(handler)
    assert errors_logged(caplog) == []
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) >= 5 and all(r.levelno == logging.INFO for r in refusals)
    assert SECRET not in caplog.text
    assert SECRET not in stream.getvalue()


def test_log_lines_carry_no_tokens_keys_or_signed_links() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5", "GET", "/files/abc/PDF?expires=99&signature=s3cr3tsig", "1.1", 200),
        None,
    )
    line = json.loads(formatter.format(record))
    assert "s3cr3tsig" not in json.dumps(line) and line["path"] == "/files/abc/PDF"
    for secret in (
        "Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl",
        "sk-or-v1-0123456789abcdef",
        '{"apiKey": "k-123456"}',
    ):
        record = logging.LogRecord("docat", logging.INFO, __file__, 1, "calling with %s", (secret,), None)
        assert "REDACTED" in formatter.format(record), secret
        assert secret.split()[-1].strip('"}') not in formatter.format(record)


# ---- item 6: crafted input is BAD_USER_INPUT at INFO ------------------------------


async def test_crafted_cursors_are_bad_input(
    client: GraphQLClient, user: User, user_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    doc = await make_document(user)
    await make_log(doc)
    caplog.set_level(logging.INFO)
    crafted = [
        "zzz",
        "!!!not base64!!!",
        cursor({"a": 1}),
        cursor(["not a date", "x"]),
        cursor(["0001-01-01T00:00:00+05:00", "00000000-0000-0000-0000-000000000000"]),
        cursor(["9999-12-31T23:59:59-05:00", "00000000-0000-0000-0000-000000000000"]),
        cursor(["2024-01-01T00:00:00+00:00", "not-a-uuid"]),
        cursor(["2024-01-01T00:00:00+00:00", "a\x00b"]),
    ]
    for after in crafted:
        result = await client.execute(DOCUMENTS_AFTER, {"after": after}, token=user_token)
        assert result.codes == ["BAD_USER_INPUT"], (after, result.errors)
    for key in ("1" + "0" * 30, "-5", "x"):
        result = await client.execute(
            LOGS_AFTER, {"after": cursor(["2024-01-01T00:00:00+00:00", key])}, token=user_token
        )
        assert result.codes == ["BAD_USER_INPUT"], (key, result.errors)
    assert errors_logged(caplog) == []


async def test_node_ids_with_huge_numbers_are_bad_input(
    client: GraphQLClient, user_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for kind in ("ProcessingLog", "CreditLog"):
        for key in (10**30, 2**63):
            result = await client.execute(NODE, {"id": to_global_id(kind, key)}, token=user_token)
            assert result.codes == ["BAD_USER_INPUT"], (kind, key, result.errors)
        missing = await client.execute(NODE, {"id": to_global_id(kind, 2**63 - 1)}, token=user_token)
        assert missing.codes == ["NOT_FOUND"]
    assert errors_logged(caplog) == []


async def test_nul_characters_in_search_are_bad_input(
    client: GraphQLClient, user_token: str, admin_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert (await client.execute(SEARCH, {"s": "re\x00port"}, token=user_token)).codes == ["BAD_USER_INPUT"]
    assert (await client.execute(USER_SEARCH, {"s": "\x00"}, token=admin_token)).codes == ["BAD_USER_INPUT"]
    assert (await client.execute(SEARCH, {"s": "report"}, token=user_token)).ok()
    assert errors_logged(caplog) == []


async def test_admin_settings_outside_the_column_range_are_refused(
    client: GraphQLClient, admin_token: str, user_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    try:
        for key, value in (
            ("credits_free", str(10**20)),
            ("credits_pro", str(2**31)),
            ("retention_days", "10**9"),
        ):
            result = await client.execute(SET, {"k": key, "v": value}, token=admin_token)
            assert result.codes == ["BAD_USER_INPUT"], (key, result.errors)
        allowed = await client.execute(SET, {"k": "credits_free", "v": str(2**31 - 1)}, token=admin_token)
        assert allowed.ok()["updateSetting"]["value"] == str(2**31 - 1)
        me = await client.execute("{ me { creditsLimit } }", token=user_token)
        assert me.ok()["me"]["creditsLimit"] == 2**31 - 1
    finally:
        await client.execute(SET, {"k": "credits_free", "v": None}, token=admin_token)
    assert errors_logged(caplog) == []


# ---- item 7: leaks -------------------------------------------------------------------


def test_error_messages_carry_no_server_paths(tmp_path: Path) -> None:
    # MuPDF names the file it failed to open; the pipeline's error does not.
    broken = tmp_path / "data" / "tmp" / "upload-3f2a.pdf"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    with pytest.raises(InvalidPdf) as refused:
        with open_pdf(broken):
            pass
    assert "data/tmp" not in refused.value.message and "upload-3f2a" not in refused.value.message
    assert str(tmp_path) not in refused.value.message
    assert "/srv/docat" not in DocatError("cannot read /srv/docat/data/files/x/original.pdf now").message
    # Model names and URLs are not paths.
    assert "openai/gpt-4o-mini" in DocatError("model openai/gpt-4o-mini failed").message


async def test_no_suggestions_where_introspection_is_off(
    client: GraphQLClient, user_token: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "graphql_introspection", False)
    typo = await client.execute("{ me { emial } }", token=user_token)
    assert typo.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" not in typo.errors[0]["message"]
    bad_variable = await client.execute(REGISTER, {"input": {"email": "x@example.com", "pasword": "x" * 12}})
    assert set(bad_variable.codes) == {"BAD_USER_INPUT"}
    assert "Did you mean" not in json.dumps(bad_variable.errors)
    monkeypatch.setattr(settings, "graphql_introspection", True)
    assert "Did you mean" in (await client.execute("{ me { emial } }", token=user_token)).errors[0]["message"]


async def test_embedded_data_is_created_owner_only(tmp_path: Path) -> None:
    from docat.db import open_database
    from docat.storage.local import LocalStorage

    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir, database_url=None, secret_key=None, redis_url=None)
    assert settings.signing_key
    async with open_database(settings, migrate=True):
        pass
    storage = await LocalStorage.open(data_dir / "files")
    await storage.put_bytes("documents/abc/original.pdf", b"%PDF-1.4")

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert mode(data_dir / "docat.sqlite3") == 0o600
    assert mode(data_dir / "files") == 0o700
    assert mode(data_dir / "files" / "documents" / "abc") == 0o700
    assert mode(data_dir / "files" / "documents" / "abc" / "original.pdf") == 0o600
