"""The database connections docat/db.py configures, on a real PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

from tortoise import connections

from docat.db import LeanResetConnection, open_database, tortoise_config
from docat.settings import load_settings
from tests.fixtures.databases import create_postgres_database, drop_postgres_database


async def test_postgres_connections_skip_the_reset_query_but_not_the_rollback(tmp_path: Path) -> None:
    url = await create_postgres_database()
    try:
        settings = load_settings(data_dir=tmp_path, database_url=url, secret_key="k" * 40)
        async with open_database(settings):
            client = connections.get("default")
            await client.execute_query("SELECT 1")  # the pool is made on first use
            pool = client._pool  # Tortoise's asyncpg pool
            async with pool.acquire() as connection:
                assert isinstance(connection, LeanResetConnection)
                assert connection.get_reset_query() == ""
                await connection.execute("CREATE TABLE probe (n int)")
                # Left open on purpose: releasing the connection must still roll it back.
                transaction = connection.transaction()
                await transaction.start()
                await connection.execute("INSERT INTO probe VALUES (1)")
            async with pool.acquire() as connection:
                assert not connection.is_in_transaction()
                assert await connection.fetchval("SELECT count(*) FROM probe") == 0
    finally:
        await drop_postgres_database(url)


def test_sqlite_is_opened_in_wal_with_normal_sync(tmp_path: Path) -> None:
    config = tortoise_config(load_settings(data_dir=tmp_path, database_url=None, secret_key="k" * 40))
    url = config["connections"]["default"]
    assert url.startswith("sqlite://") and url.endswith("?synchronous=NORMAL")
    # A SQLite URL with options of its own is taken as given.
    given = f"sqlite://{tmp_path}/x.db?synchronous=FULL"
    explicit = tortoise_config(load_settings(data_dir=tmp_path, database_url=given, secret_key="k" * 40))
    assert explicit["connections"]["default"] == given
