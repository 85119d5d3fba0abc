"""program figures and dashboard fragments kept for the day; sites' last check-in and per-unit site counts kept
by triggers

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


    op.create_table('site_counts',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('printed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_site_counts_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'kind', name=op.f('pk_site_counts'))
    )
    op.create_table('site_activity',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('sites', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_site_activity_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'day', 'kind', name=op.f('pk_site_activity')),
    sqlite_with_rowid=False,
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    day = "last_checkin_at::date" if postgresql else "date(last_checkin_at)"
    op.execute(
        "INSERT INTO site_counts (unit_id, kind, registered, printed) "
        "SELECT unit_id, kind, count(*), count(poster_printed_at) FROM sites WHERE status = 'active' "
        "GROUP BY unit_id, kind"
    )
    op.execute(
        f"INSERT INTO site_activity (unit_id, day, kind, sites) SELECT unit_id, {day}, kind, count(*) FROM sites "
        f"WHERE status = 'active' AND last_checkin_at IS NOT NULL GROUP BY unit_id, kind, {day}"
    )
    # An active site counts once in site_counts (and printed if its poster was) and once in site_activity on the
    # UTC day of its latest check-in: a change takes the old row out and puts the new one in.
    if postgresql:
        op.execute(
            """CREATE FUNCTION sites_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
    UPDATE site_counts SET registered = registered - 1, printed = printed - (OLD.poster_printed_at IS NOT NULL)::int
      WHERE unit_id = OLD.unit_id AND kind = OLD.kind;
    IF OLD.last_checkin_at IS NOT NULL THEN
      UPDATE site_activity SET sites = sites - 1
        WHERE unit_id = OLD.unit_id AND day = OLD.last_checkin_at::date AND kind = OLD.kind;
      DELETE FROM site_activity
        WHERE unit_id = OLD.unit_id AND day = OLD.last_checkin_at::date AND kind = OLD.kind AND sites <= 0;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'active' THEN
    INSERT INTO site_counts AS c (unit_id, kind, registered, printed)
      VALUES (NEW.unit_id, NEW.kind, 1, (NEW.poster_printed_at IS NOT NULL)::int)
      ON CONFLICT (unit_id, kind) DO UPDATE SET registered = c.registered + 1, printed = c.printed + excluded.printed;
    IF NEW.last_checkin_at IS NOT NULL THEN
      INSERT INTO site_activity AS a (unit_id, day, kind, sites)
        VALUES (NEW.unit_id, NEW.last_checkin_at::date, NEW.kind, 1)
        ON CONFLICT (unit_id, day, kind) DO UPDATE SET sites = a.sites + 1;
    END IF;
  END IF;
  RETURN NULL;
END $$"""
        )
        op.execute(
            "CREATE TRIGGER sites_keep_counts AFTER INSERT OR DELETE OR UPDATE OF unit_id, kind, status, "
            "poster_printed_at, last_checkin_at ON sites FOR EACH ROW EXECUTE FUNCTION sites_keep_counts()"
        )
    else:
        take_out = (
            "UPDATE site_counts SET registered = registered - 1, printed = printed - (OLD.poster_printed_at IS NOT NULL) "
            "WHERE OLD.status = 'active' AND unit_id = OLD.unit_id AND kind = OLD.kind; "
            "UPDATE site_activity SET sites = sites - 1 WHERE OLD.status = 'active' AND unit_id = OLD.unit_id "
            "AND day = date(OLD.last_checkin_at) AND kind = OLD.kind; "
            "DELETE FROM site_activity WHERE unit_id = OLD.unit_id AND day = date(OLD.last_checkin_at) "
            "AND kind = OLD.kind AND sites <= 0; "
        )
        put_in = (
            "INSERT INTO site_counts (unit_id, kind, registered, printed) "
            "SELECT NEW.unit_id, NEW.kind, 1, NEW.poster_printed_at IS NOT NULL WHERE NEW.status = 'active' "
            "ON CONFLICT (unit_id, kind) DO UPDATE SET registered = registered + 1, printed = printed + excluded.printed; "
            "INSERT INTO site_activity (unit_id, day, kind, sites) "
            "SELECT NEW.unit_id, date(NEW.last_checkin_at), NEW.kind, 1 "
            "WHERE NEW.status = 'active' AND NEW.last_checkin_at IS NOT NULL "
            "ON CONFLICT (unit_id, day, kind) DO UPDATE SET sites = sites + 1; "
        )
        op.execute(f"CREATE TRIGGER sites_counts_insert AFTER INSERT ON sites BEGIN {put_in}END")
        op.execute(f"CREATE TRIGGER sites_counts_delete AFTER DELETE ON sites BEGIN {take_out}END")
        op.execute(
            "CREATE TRIGGER sites_counts_update AFTER UPDATE OF unit_id, kind, status, poster_printed_at, "
            f"last_checkin_at ON sites BEGIN {take_out}{put_in}END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS sites_keep_counts ON sites")
        op.execute("DROP FUNCTION IF EXISTS sites_keep_counts()")
    else:
        for verb in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS sites_counts_{verb}")
    op.drop_table('site_activity')
    op.drop_table('site_counts')
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
