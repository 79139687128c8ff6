"""sensing geometry: PostGIS on PostgreSQL for the SensorThings geospatial functions

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite: GEOS through shapely, registered per connection
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    ).first()
    if available is not None:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def downgrade() -> None:
    pass  # the extension may serve other schemas; it stays
