"""Shared fixtures: the app on SQLite and on PostgreSQL, a GraphQL client, users.

Database tests take the session-scoped `backend` fixture (through `app`), so
pytest runs each of them once on SQLite and once on a fresh PostgreSQL
database created for the session and dropped afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from docat.accounts import access_token_for, create_user
from docat.resources import Resources
from docat.settings import Settings, load_settings
from graphql_api.app import create_app
from models import Role, Tier, User
from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient, unique_email

pytest_plugins = ["tests.fixtures.s3_server", "tests.fixtures.fake_llm"]

BACKENDS = ("sqlite", "postgres")
TEST_SECRET = "test-secret-key-not-for-production-0123456789"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backend(name): the test exists for that database backend only (sqlite or postgres)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked backend("postgres") is not collected for SQLite (and the reverse): it is
    not a skip, the case does not exist there. Reported as deselected."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = params.get("settings")
        if marker is not None and backend is not None and backend not in marker.args:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
async def settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    if request.param == "postgres":
        url = await create_postgres_database()
        try:
            yield load_settings(data_dir=data_dir, database_url=url, secret_key=TEST_SECRET, redis_url=None)
        finally:
            await drop_postgres_database(url)
    else:
        yield load_settings(data_dir=data_dir, database_url=None, secret_key=TEST_SECRET, redis_url=None)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    if settings.is_postgres:
        from docat.db import migrate_database

        await migrate_database(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def resources(app: Starlette) -> Resources:
    """The shared app's resources (database, storage, bus, queue) for tests that reach past the API."""
    value: Resources = app.state.resources
    return value


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


PASSWORD = "correct horse battery"


@pytest.fixture
async def user(app: Starlette) -> User:
    return await create_user(unique_email("user"), PASSWORD, name="Test User", tier=Tier.FREE)


@pytest.fixture
async def other_user(app: Starlette) -> User:
    return await create_user(unique_email("other"), PASSWORD, name="Other User")


@pytest.fixture
async def admin(app: Starlette) -> User:
    return await create_user(unique_email("admin"), PASSWORD, name="Admin", role=Role.ADMIN, tier=Tier.PRO)


@pytest.fixture
def token_of(settings: Settings):  # type: ignore[no-untyped-def]
    def make(user: User) -> str:
        return access_token_for(settings, user)[0]

    return make


@pytest.fixture
def user_token(user: User, token_of) -> str:  # type: ignore[no-untyped-def]
    return token_of(user)


@pytest.fixture
def other_token(other_user: User, token_of) -> str:  # type: ignore[no-untyped-def]
    return token_of(other_user)


@pytest.fixture
def admin_token(admin: User, token_of) -> str:  # type: ignore[no-untyped-def]
    return token_of(admin)
