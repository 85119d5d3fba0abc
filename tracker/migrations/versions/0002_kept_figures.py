"""program figures and dashboard fragments kept for the day; sites' last check-in kept by a trigger

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('program_figures',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_figures_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', name=op.f('pk_program_figures'))
    )
    op.create_table('dashboard_fragments',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_dashboard_fragments_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'locale', name=op.f('pk_dashboard_fragments'))
    )


    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_checkin_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_sites_unit_counts', ['unit_id', 'status', 'kind', 'poster_printed_at', 'last_checkin_at'], unique=False)
    op.execute(
        "UPDATE sites SET last_checkin_at = (SELECT max(checkins.at) FROM checkins WHERE checkins.site_id = sites.id)"
    )
    # The first check-in of each UTC day at a site moves its last_checkin_at (window starts are UTC midnights,
    # so "a check-in since W" is exactly "last_checkin_at >= W"); later ones that day find nothing to write.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION checkins_touch_site() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE sites SET last_checkin_at = NEW.at WHERE id = NEW.site_id "
            "AND (last_checkin_at IS NULL OR last_checkin_at < date_trunc('day', NEW.at)); "
            "RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER checkins_touch_site AFTER INSERT ON checkins "
            "FOR EACH ROW EXECUTE FUNCTION checkins_touch_site()"
        )
    else:
        op.execute(
            "CREATE TRIGGER checkins_touch_site AFTER INSERT ON checkins BEGIN "
            "UPDATE sites SET last_checkin_at = NEW.at WHERE id = NEW.site_id "
            "AND (last_checkin_at IS NULL OR last_checkin_at < date(NEW.at)); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS checkins_touch_site ON checkins")
        op.execute("DROP FUNCTION IF EXISTS checkins_touch_site()")
    else:
        op.execute("DROP TRIGGER IF EXISTS checkins_touch_site")
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index('ix_sites_unit_counts')
        batch_op.drop_column('last_checkin_at')
    op.drop_table('dashboard_fragments')
    op.drop_table('program_figures')
