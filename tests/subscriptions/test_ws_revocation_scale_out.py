"""Revocation across API replicas: two real `docat serve` processes sharing a fresh PostgreSQL
database and a private Redis. An admin demoted through the first process loses the socket it
holds on the second, within seconds, closed 4403 with the reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.fixtures.redis_server import RedisServer
from tests.jobs.services import ProductionStack, production_env

from .ws_client import WSClient

EMAIL = "replica-admin@example.com"
PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""
CREATE_ADMIN = """
mutation Create($email: String!, $password: String!) {
  createUser(input: {email: $email, password: $password, role: ADMIN}) { id }
}"""
DEMOTE = """
mutation Demote($id: ID!) { updateUser(id: $id, input: {role: USER}) { role } }
"""
LIST_USERS = "query { users(first: 5) { totalCount } }"


@dataclass
class Replicas:
    stack: ProductionStack
    first: str  # http:// of the API the demotion goes through
    second: str  # http:// of the API holding the socket


@pytest.fixture(scope="module")
async def replicas(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Replicas]:
    folder = tmp_path_factory.mktemp("ws-revocation")
    database_url = await create_postgres_database()
    redis = RedisServer(folder)
    redis.start()
    stack = ProductionStack(folder, production_env(database_url, redis.url))
    try:
        await asyncio.to_thread(stack.migrate)
        await asyncio.to_thread(stack.create_admin, EMAIL, PASSWORD)
        first = await asyncio.to_thread(stack.serve)
        second = await asyncio.to_thread(stack.serve)
        yield Replicas(stack, first, second)
    finally:
        await asyncio.to_thread(stack.close)
        redis.stop()
        await drop_postgres_database(database_url)


async def login(api: str, email: str, password: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        payload = (await GraphQLClient(http).execute(LOGIN, {"email": email, "password": password})).ok()[
            "login"
        ]
    return payload["accessToken"], payload["user"]["id"]


async def test_a_demotion_through_one_replica_closes_the_socket_held_on_another(replicas: Replicas) -> None:
    admin_token, _ = await login(replicas.first, EMAIL, PASSWORD)
    email = unique_email("replica-victim")
    async with httpx.AsyncClient(base_url=replicas.first, timeout=30) as http:
        gql = GraphQLClient(http)
        (await gql.execute(CREATE_ADMIN, {"email": email, "password": PASSWORD}, token=admin_token)).ok()
        victim_token, victim_id = await login(replicas.first, email, PASSWORD)

        second_ws = replicas.second.replace("http://", "ws://") + "/graphql"
        try:
            async with WSClient(second_ws, {"Authorization": f"Bearer {victim_token}"}) as ws:
                (listed,) = [d async for d in ws.subscribe(LIST_USERS)]
                assert listed["users"]["totalCount"] == 2
                await ws.start("subscription { allJobs { documentId } }")

                (await gql.execute(DEMOTE, {"id": victim_id}, token=admin_token)).ok()
                # Bounded wait (20 s): the event crosses Redis, the second API re-reads the account.
                await ws.until_closed()
                assert (ws.ws.close_code if ws.ws else None, ws.close_reason) == (4403, "role changed")
        except BaseException:
            print(replicas.stack.logs())
            raise
