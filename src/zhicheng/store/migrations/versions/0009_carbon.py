"""carbon inventories and findings

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('carbon_inventory',
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sector', sa.String(length=48), nullable=False),
    sa.Column('source', sa.String(length=48), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('value_mt', sa.Float(), nullable=False),
    sa.Column('dataset', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'], name=op.f('fk_carbon_inventory_batch_id_ingest_batches')),
    sa.PrimaryKeyConstraint('unit_code', 'year', 'sector', 'source', name=op.f('pk_carbon_inventory')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('carbon_inventory', schema=None) as batch_op:
        batch_op.create_index('ix_carbon_inventory_dataset_year', ['dataset', 'year'], unique=False)

    op.create_table('carbon_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'], name=op.f('fk_carbon_findings_batch_id_ingest_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carbon_findings'))
    )
    with op.batch_alter_table('carbon_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carbon_findings_batch_id'), ['batch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('carbon_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carbon_findings_batch_id'))
    op.drop_table('carbon_findings')
    with op.batch_alter_table('carbon_inventory', schema=None) as batch_op:
        batch_op.drop_index('ix_carbon_inventory_dataset_year')
    op.drop_table('carbon_inventory')
