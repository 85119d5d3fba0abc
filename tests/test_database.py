"""The schema comes from the migration and matches the models; SQLite runs with the agreed pragmas."""

import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests import factories
from tracker.extensions import db
from tracker.units.models import Unit


def test_migration_matches_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_every_table_of_the_design_exists(app):
    tables = set(sa.inspect(db.engine).get_table_names())
    expected = {
        "units", "documents", "programs", "tasks", "task_updates", "boards", "memberships", "sites",
        "checkins", "retired_site_codes", "public_services", "service_periods", "users", "api_tokens",
        "audit_events",
    }  # fmt: skip
    assert expected <= tables


def test_quantities_are_decimal_and_datetimes_utc(app):
    from datetime import date
    from decimal import Decimal

    from tracker.programs.models import Program, Task

    unit = factories.create_unit()
    program = Program(unit=unit, title="Chương trình", starts_on=date(2025, 1, 1))
    task = Task(program=program, title="Thu ngân sách", target=Decimal("2.94"), baseline=Decimal("0"))
    db.session.add_all([program, task])
    db.session.commit()
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.target == Decimal("2.94") and isinstance(task.target, Decimal)
    assert task.created_at.tzinfo is not None


def test_version_column_refuses_a_stale_write(app):
    unit = factories.create_unit()
    db.session.commit()
    assert unit.version == 1
    unit.name = "Phường Bãi Bông (sửa)"
    db.session.commit()
    assert unit.version == 2
    # Someone else saves the row meanwhile: our copy still says version 2.
    db.session.execute(sa.text("UPDATE units SET version = version + 1 WHERE id = :id"), {"id": unit.id})
    unit.name = "ghi đè"
    with pytest.raises(sa.orm.exc.StaleDataError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_pragmas(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_write_transactions_begin_immediate(app):
    """A second writer waits for the first instead of failing half-way with 'database is locked'."""
    statements = []  # what the driver runs, BEGIN included (it goes straight to the driver, past SQLAlchemy)
    db.session.remove()
    db.engine.dispose()
    sa.event.listen(
        db.engine, "connect", lambda dbapi_connection, record: dbapi_connection.set_trace_callback(statements.append)
    )
    factories.create_unit()
    db.session.commit()
    assert "BEGIN IMMEDIATE" in statements

    errors = []

    def writer(n):
        with app.app_context():
            try:
                for i in range(20):
                    db.session.add(Unit(name=f"Tổ dân phố {n}-{i}", kind="residential_group"))
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.scalar(sa.select(sa.func.count(Unit.id)).where(Unit.kind == "residential_group")) == 60


def test_foreign_keys_are_enforced(app):
    from tracker.documents.models import Document

    db.session.add(
        Document(unit_id=999999, reference="1/KH-UBND", number="1", kind_code="KH", issuer_code="UBND", title="x")
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_enum_columns_refuse_unknown_values(app):
    with pytest.raises(sa.exc.DBAPIError):
        db.session.execute(
            sa.text(
                "INSERT INTO units (name, search_name, kind, created_at, updated_at, version) "
                "VALUES ('x', 'x', 'galaxy', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
            )
        )
    db.session.rollback()


def test_every_model_says_what_row_it_is(app):
    """A row in a log line or a debugger reads as itself (`<Site 3 QRX… 'Chợ Bãi Bông'>`), not `<Site object at…>`."""
    models = [mapper.class_ for mapper in db.Model.registry.mappers]
    assert len(models) >= 20
    def own_repr(model) -> bool:  # Flask-SQLAlchemy's Model has a generic one: look at our classes only
        return any("__repr__" in vars(c) for c in model.__mro__ if c.__module__.startswith("tracker"))

    plain = [m.__name__ for m in models if not own_repr(m)]
    assert plain == []
    unit = factories.create_unit("Phường Phổ Yên", "ward", code="05860")
    assert repr(unit).startswith("<Unit ") and "Phổ Yên" in repr(unit)
