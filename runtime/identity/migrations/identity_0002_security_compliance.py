"""security compliance: lockout counters, password history, self-service flag

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-11-23 13:25:42.703265
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.common.db

revision: str = 'identity_0002'
down_revision: str | Sequence[str] | None = 'identity_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'identity_password_history',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', runtime.common.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['identity_user.id'],
            name=op.f('fk_identity_password_history_user_id_identity_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_password_history')),
    )
    with op.batch_alter_table('identity_password_history', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_identity_password_history_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        # Existing rows get the defaults: not self-service, no failed attempts.
        batch_op.add_column(sa.Column('password_self_service', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('failed_auth_count', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('failed_auth_at', runtime.common.db.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        batch_op.drop_column('failed_auth_at')
        batch_op.drop_column('failed_auth_count')
        batch_op.drop_column('password_self_service')

    with op.batch_alter_table('identity_password_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_password_history_user_id'))

    op.drop_table('identity_password_history')
