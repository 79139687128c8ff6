"""trend indexes: a unit's results across runs, a unit's children

Revision ID: 0016
Revises: 0014
"""

from alembic import op

revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evaluation_results', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_results_unit_level', ['unit_code', 'level', 'code'], unique=False)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index('ix_units_parent_code', ['parent_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index('ix_units_parent_code')
    with op.batch_alter_table('evaluation_results', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_results_unit_level')
