"""period reports (a unit's report for a period, in revisions, its figures frozen on submission) and schedules

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

import tracker.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_schedules',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kinds', sa.String(length=4), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', tracker.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('due_day BETWEEN 1 AND 28', name=op.f('ck_report_schedules_due_day_in_month')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_schedules_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_schedules')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_report_schedules_unit_id'))
    )
    op.create_table('reports',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'returned', name='reportstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('signer_authority', sa.String(length=200), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('achievements', sa.Text(), nullable=False),
    sa.Column('shortcomings', sa.Text(), nullable=False),
    sa.Column('causes', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('proposals', sa.Text(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=True),
    sa.Column('submitted_at', tracker.db.UTCDateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_at', tracker.db.UTCDateTime(), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_reports_revision_positive')),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_reports_returned_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_reports_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_reports_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('unit_id', 'period', 'revision', name=op.f('uq_reports_unit_id_period_revision'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_unit_id'))

    op.drop_table('reports')
    op.drop_table('report_schedules')
