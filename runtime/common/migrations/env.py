"""Alembic environment: every service's tables on one metadata."""

from alembic import context

from runtime.common.db import Database
from runtime.models import metadata

url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
db = Database(url)  # same pragmas (WAL, foreign keys) and directory creation as the app
with db.engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
db.dispose()
