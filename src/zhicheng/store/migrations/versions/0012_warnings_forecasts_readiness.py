"""public warnings, forecast alerts and emergency readiness

Revision ID: 0012
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emergency_plans',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=True),
    sa.Column('level', sa.String(length=64), nullable=True),
    sa.Column('unit_code', sa.String(length=64), nullable=True),
    sa.Column('event_types', sa.Text(), nullable=False),
    sa.Column('departments', sa.Text(), nullable=False),
    sa.Column('drills_per_year', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_emergency_plans_unit_code_units')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_emergency_plans'))
    )
    op.create_table('public_warnings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('identifier', sa.String(length=160), nullable=False),
    sa.Column('sender', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('msg_type', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), server_default='Public', nullable=False),
    sa.Column('references_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('event_code', sa.String(length=64), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('certainty', sa.String(length=16), nullable=False),
    sa.Column('response_type', sa.String(length=16), nullable=True),
    sa.Column('effective', sa.DateTime(timezone=True), nullable=True),
    sa.Column('onset', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires', sa.DateTime(timezone=True), nullable=True),
    sa.Column('area_desc_zh', sa.String(length=500), nullable=False),
    sa.Column('area_desc_en', sa.String(length=500), nullable=True),
    sa.Column('polygon', sa.Text(), nullable=True),
    sa.Column('circle', sa.String(length=100), nullable=True),
    sa.Column('info', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('unit_code', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.String(length=100), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('sent', sa.DateTime(timezone=True), nullable=True),
    sa.Column('residents_in_area', sa.Float(), nullable=True),
    sa.Column('residents_reached', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['references_id'], ['public_warnings.id'], name=op.f('fk_public_warnings_references_id_public_warnings')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_public_warnings_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_warnings')),
    sa.UniqueConstraint('identifier', name=op.f('uq_public_warnings_identifier'))
    )
    with op.batch_alter_table('public_warnings', schema=None) as batch_op:
        batch_op.create_index('ix_public_warnings_state_sent', ['state', 'sent'], unique=False)

    op.create_table('supply_depots',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=True),
    sa.Column('unit_code', sa.String(length=64), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('digital', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_supply_depots_unit_code_units')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_supply_depots'))
    )
    op.create_table('drills',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('plan_code', sa.String(length=64), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('participants', sa.Text(), nullable=False),
    sa.Column('participant_count', sa.Integer(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_code'], ['emergency_plans.code'], name=op.f('fk_drills_plan_code_emergency_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drills')),
    sa.UniqueConstraint('ref', name=op.f('uq_drills_ref'))
    )
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.create_index('ix_drills_plan_held', ['plan_code', 'held_at'], unique=False)

    op.create_table('forecast_alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('service_code', sa.String(length=64), nullable=False),
    sa.Column('series', sa.String(length=64), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('target_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('horizon_hours', sa.Float(), nullable=True),
    sa.Column('predicted', sa.Float(), nullable=True),
    sa.Column('observed', sa.Float(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('warning_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_forecast_alerts_event_id_events')),
    sa.ForeignKeyConstraint(['warning_id'], ['public_warnings.id'], name=op.f('fk_forecast_alerts_warning_id_public_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_alerts')),
    sa.UniqueConstraint('kind', 'place', 'series', 'target_at', name='uq_forecast_alerts_once')
    )
    op.create_table('supply_stocks',
    sa.Column('depot_code', sa.String(length=64), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=False),
    sa.Column('item_zh', sa.String(length=200), nullable=False),
    sa.Column('item_en', sa.String(length=200), nullable=True),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('minimum', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['depot_code'], ['supply_depots.code'], name=op.f('fk_supply_stocks_depot_code_supply_depots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('depot_code', 'item_code', name=op.f('pk_supply_stocks'))
    )
    op.create_table('drill_actions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['drill_id'], ['drills.id'], name=op.f('fk_drill_actions_drill_id_drills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_drill_actions_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_actions'))
    )


def downgrade() -> None:
    op.drop_table('drill_actions')
    op.drop_table('supply_stocks')
    op.drop_table('forecast_alerts')
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.drop_index('ix_drills_plan_held')

    op.drop_table('drills')
    op.drop_table('supply_depots')
    with op.batch_alter_table('public_warnings', schema=None) as batch_op:
        batch_op.drop_index('ix_public_warnings_state_sent')

    op.drop_table('public_warnings')
    op.drop_table('emergency_plans')
