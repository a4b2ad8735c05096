"""Rate limits: login brute force, uploads per tier, the per-user request budget, Redis storage."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as redis
from starlette.applications import Starlette

from docat.accounts import access_token_for
from docat.admin_settings import set_setting
from docat.errors import RateLimited
from docat.rate_limits import ADDRESS_FACTOR, LocalFixedWindow, RateLimiter, open_rate_limiter
from docat.settings import Settings
from models import Tier, User
from tests.conftest import PASSWORD
from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.fixtures.redis_server import SHARED_REDIS_URL
from tests.security.conftest import QueryCounter, client_from, random_address

LOGIN = """
mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }"""
ME = "query { me { email } }"
REDIS_URL = SHARED_REDIS_URL


class Caller:
    def __init__(self, address: str) -> None:
        self.client_address = address


@pytest.fixture
async def restore_limits() -> AsyncIterator[None]:
    yield
    for key in ("rate_login_per_minute", "rate_requests_per_minute", "rate_uploads_free_per_hour"):
        await set_setting(key, None)


async def test_the_sixth_login_attempt_in_a_minute_is_rate_limited(client: GraphQLClient, user: User) -> None:
    for _ in range(5):
        wrong = await client.execute(LOGIN, {"email": user.email, "password": "not the password"})
        assert wrong.codes == ["UNAUTHENTICATED"]
    # Even the right password: the guesser must not learn that the sixth guess was right.
    sixth = await client.execute(LOGIN, {"email": user.email, "password": PASSWORD})
    assert sixth.codes == ["RATE_LIMITED"]
    retry_after = sixth.errors[0]["extensions"]["retryAfter"]
    assert isinstance(retry_after, int) and 1 <= retry_after <= 60
    assert sixth.data is None


async def test_an_attacker_elsewhere_cannot_lock_the_owner_out(app: Starlette, user: User) -> None:
    """Guesses from one address throttle that address only: the owner signs in from their own."""
    async with client_from(app, random_address()) as attacker, client_from(app, random_address()) as owner:
        codes = [
            (await attacker.execute(LOGIN, {"email": user.email, "password": f"guess-{i}"})).codes
            for i in range(7)
        ]
        assert codes == [["UNAUTHENTICATED"]] * 5 + [["RATE_LIMITED"]] * 2
        signed_in = await owner.execute(LOGIN, {"email": user.email.upper(), "password": PASSWORD})
        assert signed_in.ok()["login"]["accessToken"]
        # The attacker's address stays throttled, whatever it sends (the right password too).
        refused = await attacker.http.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": user.email, "password": PASSWORD}}
        )
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        retry_after = refused.json()["errors"][0]["extensions"]["retryAfter"]
        # The HTTP answer carries the wait too, for clients and proxies that read headers.
        assert refused.headers["retry-after"] == str(retry_after)


async def test_the_owner_signs_in_through_a_trusted_proxy_while_the_attackers_address_is_throttled(
    settings: Settings, app: Starlette, user: User
) -> None:
    """Behind a proxy, X-Forwarded-For (as uvicorn reads it for TRUSTED_PROXIES) tells the two apart."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    proxy = "10.200.0.2"
    trusted = settings.model_copy(update={"trusted_proxies": "127.0.0.1, 10.200.0.0/16"})
    behind = ProxyHeadersMiddleware(app, trusted_hosts=trusted.trusted_proxies)
    transport = httpx.ASGITransport(app=behind, client=(proxy, 40000))
    attacker_address, owner_address = random_address(), random_address()
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

        async def login(address: str, password: str) -> list[str]:
            # A client-sent X-Forwarded-For is kept by the proxy on the left: only the right-most counts.
            response = await http.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"email": user.email, "password": password}},
                headers={"X-Forwarded-For": f"{owner_address}, {address}"},
            )
            return [e["extensions"]["code"] for e in response.json().get("errors", [])]

        codes = [await login(attacker_address, f"guess-{i}") for i in range(6)]
        assert codes == [["UNAUTHENTICATED"]] * 5 + [["RATE_LIMITED"]]
        assert await login(owner_address, PASSWORD) == []


async def test_login_is_limited_per_address_across_emails(client: GraphQLClient) -> None:
    sprayed = ADDRESS_FACTOR * 5
    codes = [
        (await client.execute(LOGIN, {"email": unique_email("spray"), "password": "Winter2024!"})).codes
        for _ in range(sprayed + 1)
    ]
    assert codes == [["UNAUTHENTICATED"]] * sprayed + [["RATE_LIMITED"]]


async def test_password_changes_and_sign_ups_are_throttled(
    client: GraphQLClient, user: User, user_token: str, restore_limits: None
) -> None:
    change = 'mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "whatever-else") }'
    codes = [(await client.execute(change, {"c": f"guess-{i}-xx"}, token=user_token)).codes for i in range(6)]
    assert codes == [["UNAUTHENTICATED"]] * 5 + [["RATE_LIMITED"]]
    await set_setting("registration_open", "true")
    try:
        register = "mutation($i: RegisterInput!) { register(input: $i) { user { email } } }"
        taken = {"i": {"email": user.email, "password": PASSWORD}}
        codes = [(await client.execute(register, taken)).codes for _ in range(6)]
        assert codes == [["BAD_USER_INPUT"]] * 5 + [["RATE_LIMITED"]]
    finally:
        await set_setting("registration_open", None)


async def test_a_changed_login_limit_applies_without_restart(
    client: GraphQLClient, user: User, admin_token: str, restore_limits: None, app: Starlette
) -> None:
    async with client_from(app, random_address()) as admin_client:
        update = 'mutation { updateSetting(key: "rate_login_per_minute", value: "2") { value } }'
        assert (await admin_client.execute(update, token=admin_token)).ok()["updateSetting"]["value"] == "2"
    codes = [
        (await client.execute(LOGIN, {"email": user.email, "password": "x" * 9})).codes for _ in range(3)
    ]
    assert codes == [["UNAUTHENTICATED"], ["UNAUTHENTICATED"], ["RATE_LIMITED"]]


async def test_the_request_budget_counts_each_operation(
    client: GraphQLClient, user: User, user_token: str, settings: Settings, restore_limits: None
) -> None:
    await set_setting("rate_requests_per_minute", "4")
    assert (await client.execute(ME, token=user_token)).ok() == {"me": {"email": user.email}}
    # A batch of two is two operations of the budget.
    batch = await client.http.post(
        "/graphql", json=[{"query": ME}, {"query": ME}], headers={"Authorization": f"Bearer {user_token}"}
    )
    assert [r.get("errors") for r in batch.json()] == [None, None]
    assert (await client.execute(ME, token=user_token)).ok()["me"]["email"] == user.email
    refused = await client.execute(ME, token=user_token)
    assert refused.codes == ["RATE_LIMITED"]
    assert 1 <= refused.errors[0]["extensions"]["retryAfter"] <= 60
    assert refused.data is None
    # Per user: someone else is not affected.
    other = await User.create(email=unique_email("budget"), password_hash="x")
    token = access_token_for(settings, other)[0]
    assert (await client.execute(ME, token=token)).ok() == {"me": {"email": other.email}}


async def test_the_request_budget_reads_no_account_but_a_deactivated_user_is_refused_at_once(
    client: GraphQLClient,
    app: Starlette,
    user: User,
    user_token: str,
    count_queries: QueryCounter,
    restore_limits: None,
) -> None:
    await set_setting("rate_requests_per_minute", "3")
    assert (await client.execute("{ __typename }", token=user_token)).ok() == {"__typename": "Query"}
    count_queries.statements.clear()  # the settings snapshot is read again after set_setting
    # The budget keys on the token's verified subject: an operation that needs no user reads no row.
    assert (await client.execute("{ __typename }", token=user_token)).ok() == {"__typename": "Query"}
    assert count_queries.statements == []
    # It is still the user's budget (the third operation of three), whatever the address.
    async with client_from(app, random_address()) as elsewhere:
        assert (await elsewhere.execute(ME, token=user_token)).ok() == {"me": {"email": user.email}}
        assert (await elsewhere.execute("{ __typename }", token=user_token)).codes == ["RATE_LIMITED"]
    # An operation that needs the user still reads it on every request: deactivation counts at once.
    await set_setting("rate_requests_per_minute", None)
    user.is_active = False
    await user.save(update_fields=["is_active"])
    assert (await client.execute(ME, token=user_token)).codes == ["UNAUTHENTICATED"]


async def test_a_bad_token_spends_the_address_budget(
    client: GraphQLClient, user_token: str, restore_limits: None
) -> None:
    await set_setting("rate_requests_per_minute", "2")
    assert (await client.execute("{ __typename }", token="not-a-token")).ok() == {"__typename": "Query"}
    assert (await client.execute("{ __typename }")).ok() == {"__typename": "Query"}
    assert (await client.execute("{ __typename }", token="not-a-token")).codes == ["RATE_LIMITED"]
    # A valid token from the same address has a budget of its own.
    assert (await client.execute("{ __typename }", token=user_token)).ok() == {"__typename": "Query"}


async def test_a_revoked_token_does_not_spend_the_budget_of_current_ones(
    client: GraphQLClient, user: User, user_token: str, settings: Settings, restore_limits: None
) -> None:
    await set_setting("rate_requests_per_minute", "2")
    user.token_version += 1  # as a password change does
    await user.save(update_fields=["token_version"])
    for _ in range(3):
        await client.execute("{ __typename }", token=user_token)
    current = access_token_for(settings, user)[0]
    assert (await client.execute(ME, token=current)).ok() == {"me": {"email": user.email}}
    assert (await client.execute(ME, token=user_token)).codes == ["RATE_LIMITED"]


def test_the_local_fixed_window_counts_per_key_and_resets_with_the_window() -> None:
    window = LocalFixedWindow(60)
    start = 6000.0  # the start of a window
    assert [window.hit("a", 2, start + s) for s in (0, 10, 20)] == [None, None, 40]
    assert window.hit("b", 2, start + 59.5) is None  # another key, its own count
    assert window.hit("a", 2, start + 59.5) == 1  # at least a second, never 0
    assert window.hit("a", 2, start + 60) is None  # a new window
    assert window.counts == {"a": 1}  # the last window's keys are gone


async def test_uploads_are_limited_per_tier(settings: Settings, app: Starlette, restore_limits: None) -> None:
    limiter: RateLimiter = app.state.resources.rate_limiter
    free = await User.create(email=unique_email("free"), password_hash="x", tier=Tier.FREE)
    plus = await User.create(email=unique_email("plus"), password_hash="x", tier=Tier.PLUS)
    caller = Caller(random_address())
    for _ in range(10):
        await limiter.hit_upload(caller, free)
        await limiter.hit_upload(caller, plus)
    with pytest.raises(RateLimited) as refused:
        await limiter.hit_upload(caller, free)
    assert refused.value.extensions["code"] == "RATE_LIMITED"
    assert 1 <= refused.value.retry_after <= 3600
    assert "10 an hour on the FREE tier" in refused.value.message
    # PLUS has room for more (100 an hour by default).
    await limiter.hit_upload(caller, plus)
    # An admin raising the FREE limit frees the user at once.
    await set_setting("rate_uploads_free_per_hour", "20")
    await limiter.hit_upload(caller, free)


async def test_redis_storage_is_shared_between_processes(settings: Settings, app: Starlette) -> None:
    """Two limiters over one Redis (two API processes) count against the same window."""
    prefix = f"docat-test-limits-{uuid.uuid4().hex[:12]}"
    with_redis = settings.model_copy(update={"redis_url": REDIS_URL})
    try:
        async with (
            open_rate_limiter(with_redis, prefix) as first,
            open_rate_limiter(with_redis, prefix) as second,
        ):
            assert type(first.storage).__name__ == "RedisStorage"
            email = unique_email("shared")
            caller = Caller(random_address())
            for limiter in (first, second, first, second, first):
                await limiter.hit_login(caller, email)
            with pytest.raises(RateLimited) as refused:
                await second.hit_login(caller, email)
            # Another address is not refused: the account is never locked as a whole.
            await first.hit_login(Caller(random_address()), email)
            assert 1 <= refused.value.retry_after <= 60
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
            assert keys, "the limiter wrote nothing under its prefix"
            await client.delete(*keys)
        finally:
            await client.aclose()


async def test_embedded_mode_uses_memory(settings: Settings, app: Starlette) -> None:
    limiter: RateLimiter = app.state.resources.rate_limiter
    assert settings.redis_url is None
    assert type(limiter.storage).__name__ == "MemoryStorage"
    # The request budget, on every operation, is counted by our own per-process window.
    assert isinstance(limiter.local_requests, LocalFixedWindow)
