"""The service's PostgreSQL database: a connection pool, migrations, a readiness check.

Added by paved's `postgres` layer. The settings are the `database_*` fields of
platform/settings.py (`DATABASE_URL` and friends). At start the pool opens
(without waiting for the server: a database that is down makes the service
unready, not dead) and the migrations the package ships are applied, one
instance at a time. /readyz asks `check` on every probe, so an instance that
lost its database leaves the load balancers until it is back; /livez never
looks at it (a slow database must not restart every pod at once).

In an endpoint: `async def handler(db: DatabasePool) -> ...`, then
`async with db.connection() as conn: await conn.execute(...)`.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Annotated

import structlog
from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from .settings import PlatformSettings

log = structlog.get_logger(__name__)

#: pg_advisory_xact_lock key: one instance applies migrations at a time.
MIGRATION_LOCK = 7_316_024_519
MIGRATIONS_TABLE = "schema_migrations"


class Database:
    """The pool and its checks; with an empty `database_url`, no database at all (the tests
    that need none: tests/conftest.py)."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings
        self.enabled = bool(settings.database_url)
        self.pool: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
            settings.database_url,
            min_size=1,
            max_size=settings.database_pool_size,
            kwargs={"connect_timeout": max(1, round(settings.database_connect_timeout_seconds))},
            open=False,
            name="database",
        )

    async def open(self) -> None:
        if not self.enabled:
            return
        await self.pool.open(wait=False)
        if self.settings.database_migrate_on_start:
            applied = await migrate(self.pool)
            log.info("database migrated", applied=applied)

    async def close(self) -> None:
        if self.enabled:
            await self.pool.close()

    async def check(self) -> str | None:
        """None when the database answers SELECT 1 in time, else why not."""
        if not self.enabled:
            return None
        try:
            async with asyncio.timeout(self.settings.database_check_timeout_seconds):
                async with self.pool.connection() as conn:
                    await conn.execute("SELECT 1")
        except Exception as error:  # any failure means: not ready
            return f"database: {type(error).__name__}"
        return None


def migrations() -> list[tuple[str, str]]:
    """The migrations the package ships, (name, SQL), in name order."""
    folder = resources.files(__name__.rsplit(".", 2)[0]) / "migrations"
    found = [(item.name, item.read_text(encoding="utf-8")) for item in folder.iterdir()
             if item.name.endswith(".sql")]
    return sorted(found)


async def migrate(pool: AsyncConnectionPool[AsyncConnection]) -> list[str]:
    """Apply the migrations not applied yet, in one transaction; return their names."""
    applied: list[str] = []
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
            "name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")
        done = {row[0] for row in await cursor.fetchall()}
        for name, text in migrations():
            if name in done:
                continue
            await conn.execute(text.encode())  # bytes: one script of several statements
            await conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name) VALUES (%s)", (name,))
            applied.append(name)
    return applied


def _pool(request: Request) -> AsyncConnectionPool[AsyncConnection]:
    database: Database = request.app.state.platform.database
    return database.pool


DatabasePool = Annotated[AsyncConnectionPool[AsyncConnection], Depends(_pool)]
