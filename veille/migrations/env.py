"""Alembic environment: runs on the connection Veille passes in (see veille.db.migrate)."""

from alembic import context

from veille.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run through the alembic CLI
    from veille.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///var/veille.db")
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
