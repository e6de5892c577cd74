"""auto-allocated topology: the default external network and each project's topology

Revision ID: network_0003
Revises: network_0002
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'network_0003'
down_revision: str | Sequence[str] | None = 'network_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('network_network', schema=None) as batch_op:
        # Existing networks are not the default external network.
        batch_op.add_column(sa.Column('is_default', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table(
        'network_auto_allocated_topology',
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=False),
        sa.Column('router_id', sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ['network_id'], ['network_network.id'],
            name=op.f('fk_network_auto_allocated_topology_network_id_network_network'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['router_id'], ['network_router.id'],
            name=op.f('fk_network_auto_allocated_topology_router_id_network_router'),
            ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('project_id', name=op.f('pk_network_auto_allocated_topology')))
    with op.batch_alter_table('network_auto_allocated_topology', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_auto_allocated_topology_network_id'),
                              ['network_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_auto_allocated_topology_router_id'),
                              ['router_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('network_auto_allocated_topology', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_auto_allocated_topology_router_id'))
        batch_op.drop_index(batch_op.f('ix_network_auto_allocated_topology_network_id'))
    op.drop_table('network_auto_allocated_topology')
    with op.batch_alter_table('network_network', schema=None) as batch_op:
        batch_op.drop_column('is_default')
