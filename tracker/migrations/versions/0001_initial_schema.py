"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 09:02:46.950194

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('units',
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('search_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('province', 'city', 'district', 'commune', 'ward', 'special_zone', 'residential_group', name='unitkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['units.id'], name=op.f('fk_units_merged_into_id_units')),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_units_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_units_search_name'), ['search_name'], unique=False)

    op.create_table('documents',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind_code', sa.String(length=8), nullable=False),
    sa.Column('issuer_code', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_documents_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_unit_id'), ['unit_id'], unique=False)

    op.create_table('public_services',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('field', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('online_since', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_public_services_level_range')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_public_services_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_services')),
    sa.UniqueConstraint('unit_id', 'code', name=op.f('uq_public_services_unit_id_code'))
    )
    with op.batch_alter_table('public_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_services_unit_id'), ['unit_id'], unique=False)

    op.create_table('sites',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('search_name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('agency', 'business', 'household_business', 'school', 'health_facility', 'market', 'heritage_site', 'residential_group', 'other', name='sitekind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('active', 'retired', name='sitestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('poster_printed_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_sites_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_unit_id'), ['unit_id'], unique=False)

    op.create_table('users',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'manager', 'member', 'viewer', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_users_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('session_token', name=op.f('uq_users_session_token')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_unit_id'), ['unit_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('boards',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('steering_board', 'working_group', 'other', name='boardkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('established_by_document_id', sa.Integer(), nullable=True),
    sa.Column('target_size', sa.Integer(), nullable=True),
    sa.Column('parent_board_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('target_size IS NULL OR target_size > 0', name=op.f('ck_boards_target_size_positive')),
    sa.ForeignKeyConstraint(['established_by_document_id'], ['documents.id'], name=op.f('fk_boards_established_by_document_id_documents')),
    sa.ForeignKeyConstraint(['parent_board_id'], ['boards.id'], name=op.f('fk_boards_parent_board_id_boards')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_boards_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards'))
    )
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boards_unit_id'), ['unit_id'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('device_hash', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_checkins_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_site_at', ['site_id', 'at'], unique=False)
        batch_op.create_index('ix_checkins_site_device_at', ['site_id', 'device_hash', 'at'], unique=False)

    op.create_table('programs',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('basis_document_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_programs_period')),
    sa.ForeignKeyConstraint(['basis_document_id'], ['documents.id'], name=op.f('fk_programs_basis_document_id_documents')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_programs_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs'))
    )
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programs_unit_id'), ['unit_id'], unique=False)

    op.create_table('retired_site_codes',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_retired_site_codes_site_id_sites')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_retired_site_codes'))
    )
    with op.batch_alter_table('retired_site_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retired_site_codes_site_id'), ['site_id'], unique=False)

    op.create_table('service_periods',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('records_total', sa.Integer(), nullable=False),
    sa.Column('records_online', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_service_periods_period')),
    sa.CheckConstraint('records_online <= records_total', name=op.f('ck_service_periods_online_within_total')),
    sa.CheckConstraint('records_total >= 0 AND records_online >= 0', name=op.f('ck_service_periods_records_non_negative')),
    sa.ForeignKeyConstraint(['service_id'], ['public_services.id'], name=op.f('fk_service_periods_service_id_public_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_periods')),
    sa.UniqueConstraint('service_id', 'period_start', name=op.f('uq_service_periods_service_id_period_start'))
    )
    with op.batch_alter_table('service_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_periods_service_id'), ['service_id'], unique=False)

    op.create_table('memberships',
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('person_name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.Column('role', sa.Enum('head', 'standing_deputy', 'deputy', 'standing_member', 'member', 'group_leader', 'group_deputy', 'group_member', name='memberrole', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('appointed_by_document_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_memberships_period')),
    sa.ForeignKeyConstraint(['appointed_by_document_id'], ['documents.id'], name=op.f('fk_memberships_appointed_by_document_id_documents')),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_memberships_board_id_boards')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_board_id'), ['board_id'], unique=False)
        batch_op.create_index('uq_memberships_current_head', ['board_id'], unique=True, sqlite_where=sa.text("role IN ('head', 'group_leader') AND ends_on IS NULL"), postgresql_where=sa.text("role IN ('head', 'group_leader') AND ends_on IS NULL"))

    op.create_table('tasks',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_member_id', sa.Integer(), nullable=True),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('owner_name', sa.String(length=200), nullable=False),
    sa.Column('responsible', sa.String(length=300), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('expected_result', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('qr_points', 'online_services', 'board_membership', 'indicator', 'milestone', 'other', name='taskcategory', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('update_every_days', sa.Integer(), nullable=True),
    sa.Column('lifecycle', sa.Enum('active', 'paused', 'cancelled', name='lifecycle', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('lifecycle_reason', sa.Text(), nullable=False),
    sa.Column('measure_kind', sa.Enum('count', 'percent', 'amount', 'decrease', 'milestone', name='measurekind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('baseline', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('target', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('unit_label', sa.String(length=40), nullable=False),
    sa.Column('source', sa.Enum('manual', 'sites_registered', 'sites_active', 'posters_printed', 'services_online', 'services_full_online', 'board_members', name='tasksource', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('source_site_kind', sa.String(length=32), nullable=True),
    sa.Column('source_board_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_tasks_not_own_parent')),
    sa.CheckConstraint('update_every_days IS NULL OR update_every_days > 0', name=op.f('ck_tasks_update_every_positive')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_tasks_weight_positive')),
    sa.ForeignKeyConstraint(['owner_member_id'], ['memberships.id'], name=op.f('fk_tasks_owner_member_id_memberships')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_tasks_owner_user_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['tasks.id'], name=op.f('fk_tasks_parent_id_tasks')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_tasks_program_id_programs')),
    sa.ForeignKeyConstraint(['source_board_id'], ['boards.id'], name=op.f('fk_tasks_source_board_id_boards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_owner_user_id'), ['owner_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_program_id'), ['program_id'], unique=False)

    op.create_table('task_updates',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence_document_id', sa.Integer(), nullable=True),
    sa.Column('evidence_url', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_document_id'], ['documents.id'], name=op.f('fk_task_updates_evidence_document_id_documents')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_updates_task_id_tasks')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_updates_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_updates'))
    )
    with op.batch_alter_table('task_updates', schema=None) as batch_op:
        batch_op.create_index('ix_task_updates_task_at', ['task_id', 'at'], unique=False)


    # The audit trail is append-only: the database itself refuses to change or remove a row.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$"
        )
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
            )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def downgrade():
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb}" + (" ON audit_events" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table('task_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_task_updates_task_at')

    op.drop_table('task_updates')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_program_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_parent_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_owner_user_id'))

    op.drop_table('tasks')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_memberships_current_head', sqlite_where=sa.text("role IN ('head', 'group_leader') AND ends_on IS NULL"), postgresql_where=sa.text("role IN ('head', 'group_leader') AND ends_on IS NULL"))
        batch_op.drop_index(batch_op.f('ix_memberships_board_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('service_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_periods_service_id'))

    op.drop_table('service_periods')
    with op.batch_alter_table('retired_site_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retired_site_codes_site_id'))

    op.drop_table('retired_site_codes')
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programs_unit_id'))

    op.drop_table('programs')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_site_device_at')
        batch_op.drop_index('ix_checkins_site_at')

    op.drop_table('checkins')
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boards_unit_id'))

    op.drop_table('boards')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_unit_id'))

    op.drop_table('users')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_unit_id'))

    op.drop_table('sites')
    with op.batch_alter_table('public_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_services_unit_id'))

    op.drop_table('public_services')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_unit_id'))

    op.drop_table('documents')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_search_name'))
        batch_op.drop_index(batch_op.f('ix_units_parent_id'))
        batch_op.drop_index(batch_op.f('ix_units_merged_into_id'))

    op.drop_table('units')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
