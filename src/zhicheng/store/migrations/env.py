"""Alembic environment: runs on the connection the store hands over (no ini file)."""

from alembic import context

from zhicheng.store import all_tables  # noqa: F401  (registers every capability's tables)
from zhicheng.store.schema import metadata

#: Tables an extension owns (PostGIS's spatial reference systems), never ours to migrate.
EXTENSION_TABLES = frozenset({"spatial_ref_sys"})


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name in EXTENSION_TABLES)


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
