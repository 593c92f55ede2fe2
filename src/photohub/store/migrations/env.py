"""Alembic environment: migrations run on the connection photohub hands over.

No ``logging.config.fileConfig`` here (nor an ``alembic.ini`` logging section): it would
replace the logging the command set up and, with its default
``disable_existing_loggers=True``, silence or re-enable loggers behind its back. Alembic
logs through the ``alembic`` logger, at INFO: shown by ``photohub serve -v`` only.
"""

from __future__ import annotations

from alembic import context

from photohub.store import push_schema  # noqa: F401 (its tables join the metadata)
from photohub.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic revision --autogenerate`
    import sqlalchemy as sa

    url = context.config.get_main_option("sqlalchemy.url") or "sqlite://"
    connection = sa.create_engine(url).connect()

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
