"""Alembic environment for the planner's database.

``planner.store.migrate()`` runs it with an open connection in ``config.attributes["connection"]``,
so temporary and in-memory databases work. From a shell,
``alembic -c planner/migrations/alembic.ini upgrade head`` migrates the database that DATABASE_URL
names (or ``sqlalchemy.url`` when set in the ini file). SQLite gets batch mode, because it cannot
alter most constraints in place.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from planner.store import Base, create_store_engine
from planner.store.settings import database_url

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def run_migrations_offline() -> None:
    """Write the SQL of the migrations instead of running it (``alembic upgrade head --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the connection passed in, or on a new one to the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_store_engine(_url())
    try:
        with engine.connect() as new_connection:
            _run_on(new_connection)
            new_connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
