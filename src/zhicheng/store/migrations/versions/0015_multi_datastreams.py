"""multi datastreams: the SensorThings MultiDatastream extension

Revision ID: 0015
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sta_multi_datastreams',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('unit_of_measurements', sa.JSON(), nullable=True),
    sa.Column('observation_type', sa.String(length=200), nullable=False),
    sa.Column('multi_observation_data_types', sa.JSON(), nullable=True),
    sa.Column('observed_area', sa.JSON(), nullable=True),
    sa.Column('phenomenon_time_start', sa.BigInteger(), nullable=True),
    sa.Column('phenomenon_time_end', sa.BigInteger(), nullable=True),
    sa.Column('result_time_start', sa.BigInteger(), nullable=True),
    sa.Column('result_time_end', sa.BigInteger(), nullable=True),
    sa.Column('properties', sa.JSON(), nullable=True),
    sa.Column('thing_id', sa.Integer(), nullable=False),
    sa.Column('sensor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sensor_id'], ['sta_sensors.id'], name=op.f('fk_sta_multi_datastreams_sensor_id_sta_sensors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thing_id'], ['sta_things.id'], name=op.f('fk_sta_multi_datastreams_thing_id_sta_things'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sta_multi_datastreams')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('sta_multi_datastreams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sta_multi_datastreams_sensor_id'), ['sensor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sta_multi_datastreams_thing_id'), ['thing_id'], unique=False)

    op.create_table('sta_multi_datastream_observed_properties',
    sa.Column('multi_datastream_id', sa.Integer(), nullable=False),
    sa.Column('observed_property_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['multi_datastream_id'], ['sta_multi_datastreams.id'], name=op.f('fk_sta_multi_datastream_observed_properties_multi_datastream_id_sta_multi_datastreams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['observed_property_id'], ['sta_observed_properties.id'], name=op.f('fk_sta_multi_datastream_observed_properties_observed_property_id_sta_observed_properties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('multi_datastream_id', 'observed_property_id', name=op.f('pk_sta_multi_datastream_observed_properties'))
    )
    with op.batch_alter_table('sta_multi_datastream_observed_properties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sta_multi_datastream_observed_properties_observed_property_id'), ['observed_property_id'], unique=False)

    # SQLite rebuilds the table (its foreign keys are checked again when the copy is made).
    with op.batch_alter_table('sta_observations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('multi_datastream_id', sa.Integer(), nullable=True))
        batch_op.alter_column('datastream_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_sta_observations_multi_datastream_id_sta_multi_datastreams'), 'sta_multi_datastreams', ['multi_datastream_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_sta_observations_mds_time', ['multi_datastream_id', 'phenomenon_time_start', 'id'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM sta_observations WHERE multi_datastream_id IS NOT NULL")
    with op.batch_alter_table('sta_observations', schema=None) as batch_op:
        batch_op.drop_index('ix_sta_observations_mds_time')
        batch_op.drop_constraint(batch_op.f('fk_sta_observations_multi_datastream_id_sta_multi_datastreams'), type_='foreignkey')
        batch_op.alter_column('datastream_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('multi_datastream_id')
    with op.batch_alter_table('sta_multi_datastream_observed_properties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sta_multi_datastream_observed_properties_observed_property_id'))
    op.drop_table('sta_multi_datastream_observed_properties')
    with op.batch_alter_table('sta_multi_datastreams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sta_multi_datastreams_thing_id'))
        batch_op.drop_index(batch_op.f('ix_sta_multi_datastreams_sensor_id'))
    op.drop_table('sta_multi_datastreams')
