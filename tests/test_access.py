"""Deny by default: every route × every role, against an explicit table of who may use what.

A new route fails `test_table_covers_every_route` until it is added here with its roles."""

from datetime import date

import pytest

from tests import factories
from tracker.auth.access import allow
from tracker.boards.models import Board, BoardKind, MemberRole, Membership
from tracker.extensions import db
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.reports import services as reports
from tracker.sites.services import SiteFields, create_site

A, M, E, V = "admin", "manager", "member", "viewer"
ALL = {A, M, E, V}
PUBLIC = "public"

# (endpoint, method) → roles that may use it (or PUBLIC).
TABLE = {
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): ALL,
    ("auth.password", "GET"): ALL,
    ("auth.password", "POST"): ALL,
    ("dashboards.index", "GET"): ALL,
    ("dashboards.ranking_xlsx", "GET"): ALL,
    ("units.index", "GET"): ALL,
    ("units.show", "GET"): ALL,
    ("units.suggest", "GET"): ALL,
    ("units.create", "GET"): {A, M},
    ("units.create", "POST"): {A, M},
    ("units.merge", "GET"): {A},
    ("units.merge", "POST"): {A},
    ("units.load", "POST"): {A},
    ("documents.index", "GET"): ALL,
    ("documents.show", "GET"): ALL,
    ("documents.create", "GET"): {A, M},
    ("documents.create", "POST"): {A, M},
    ("documents.edit", "GET"): {A, M},
    ("documents.edit", "POST"): {A, M},
    ("admin.users", "GET"): {A, M},
    ("admin.user_show", "GET"): {A, M},
    ("admin.user_new", "GET"): {A, M},
    ("admin.user_new", "POST"): {A, M},
    ("admin.user_edit", "GET"): {A, M},
    ("admin.user_edit", "POST"): {A, M},
    ("admin.user_password", "GET"): {A, M},
    ("admin.user_password", "POST"): {A, M},
    ("admin.audit", "GET"): {A},
    ("admin.public_address", "GET"): {A},
    ("admin.public_address", "POST"): {A},
    ("programs.index", "GET"): ALL,
    ("programs.create", "GET"): {A, M},
    ("programs.create", "POST"): {A, M},
    ("programs.show", "GET"): ALL,
    ("programs.edit", "GET"): {A, M},
    ("programs.edit", "POST"): {A, M},
    ("programs.task_new", "GET"): {A, M},
    ("programs.task_new", "POST"): {A, M},
    ("programs.task_show", "GET"): ALL,
    ("programs.task_edit", "GET"): {A, M},
    ("programs.task_edit", "POST"): {A, M},
    ("programs.task_lifecycle", "POST"): {A, M},
    ("programs.task_update", "POST"): {A, M, E},
    ("exports.program_xlsx", "GET"): ALL,
    ("exports.program_csv", "GET"): ALL,
    ("sites.index", "GET"): ALL,
    ("sites.export", "GET"): ALL,
    ("sites.show", "GET"): ALL,
    ("sites.create", "GET"): {A, M, E},
    ("sites.create", "POST"): {A, M, E},
    ("sites.edit", "GET"): {A, M, E},
    ("sites.edit", "POST"): {A, M, E},
    ("sites.status", "POST"): {A, M},
    ("sites.rotate", "POST"): {A, M},
    ("site_imports.upload", "GET"): {A, M, E},
    ("site_imports.upload", "POST"): {A, M, E},
    ("site_imports.confirm", "POST"): {A, M, E},
    ("site_imports.template", "GET"): ALL,
    ("qr.svg", "GET"): ALL,
    ("qr.png", "GET"): ALL,
    ("qr.by_code", "GET"): PUBLIC,
    ("qr.poster", "GET"): {A, M, E},
    ("qr.mark_printed", "POST"): {A, M, E},
    ("qr.bulk", "POST"): {A, M, E},
    ("checkin.show", "GET"): PUBLIC,
    ("checkin.submit", "POST"): PUBLIC,
    ("api.list_sites", "GET"): ALL,
    ("api.get_site", "GET"): ALL,
    ("api.site_qr_svg", "GET"): ALL,
    ("api.site_qr_png", "GET"): ALL,
    ("api.create_site", "POST"): {A, M, E},
    ("api.update_site", "PATCH"): {A, M, E},
    ("api.site_poster", "GET"): {A, M, E},
    ("api.mark_site_printed", "POST"): {A, M, E},
    ("api.posters", "POST"): {A, M, E},
    ("api.rotate_code", "POST"): {A, M},
    ("api.openapi", "GET"): PUBLIC,
    ("api.unit_summary", "GET"): ALL,
    ("api.list_programs", "GET"): ALL,
    ("api.create_program", "POST"): {A, M},
    ("api.get_program", "GET"): ALL,
    ("api.update_program", "PATCH"): {A, M},
    ("api.list_tasks", "GET"): ALL,
    ("api.create_task", "POST"): {A, M},
    ("api.get_task", "GET"): ALL,
    ("api.update_task", "PATCH"): {A, M},
    ("api.list_task_updates", "GET"): ALL,
    ("api.create_task_update", "POST"): {A, M, E},
    ("api.list_units", "GET"): ALL,
    ("api.get_unit", "GET"): ALL,
    ("api.list_documents", "GET"): ALL,
    ("api.get_document", "GET"): ALL,
    ("api.create_document", "POST"): {A, M},
    ("api.update_document", "PATCH"): {A, M},
    # --- boards and memberships (issue 5) ---
    ("boards.index", "GET"): ALL,
    ("boards.create", "GET"): {A, M},
    ("boards.create", "POST"): {A, M},
    ("boards.show", "GET"): ALL,
    ("boards.edit", "GET"): {A, M},
    ("boards.edit", "POST"): {A, M},
    ("boards.member_new", "GET"): {A, M},
    ("boards.member_new", "POST"): {A, M},
    ("boards.member_edit", "GET"): {A, M},
    ("boards.member_edit", "POST"): {A, M},
    ("boards.member_end", "POST"): {A, M},
    ("boards.member_role", "POST"): {A, M},
    ("boards.export_xlsx", "GET"): ALL,
    ("boards.import_upload", "GET"): {A, M},
    ("boards.import_upload", "POST"): {A, M},
    ("boards.import_confirm", "POST"): {A, M},
    ("boards.import_template", "GET"): ALL,
    ("api.list_boards", "GET"): ALL,
    ("api.create_board", "POST"): {A, M},
    ("api.get_board", "GET"): ALL,
    ("api.list_members", "GET"): ALL,
    ("api.create_member", "POST"): {A, M},
    ("api.update_member", "PATCH"): {A, M},
    # --- end boards ---
    # --- public services (issue 5) ---
    ("public_services.index", "GET"): ALL,
    ("public_services.show", "GET"): ALL,
    ("public_services.create", "GET"): {A, M},
    ("public_services.create", "POST"): {A, M},
    ("public_services.edit", "GET"): {A, M},
    ("public_services.edit", "POST"): {A, M},
    ("public_services.set_level", "POST"): {A, M},
    ("public_services.period_create", "POST"): {A, M},
    ("public_services.period_edit", "GET"): {A, M},
    ("public_services.period_edit", "POST"): {A, M},
    ("public_services.report_page", "GET"): ALL,
    ("public_services.report_xlsx", "GET"): ALL,
    ("public_services.import_upload", "GET"): {A, M},
    ("public_services.import_upload", "POST"): {A, M},
    ("public_services.import_confirm", "POST"): {A, M},
    ("public_services.import_template", "GET"): ALL,
    ("api.list_services", "GET"): ALL,
    ("api.create_service", "POST"): {A, M},
    ("api.get_service", "GET"): ALL,
    ("api.update_service", "PATCH"): {A, M},
    ("api.list_service_periods", "GET"): ALL,
    ("api.create_service_period", "POST"): {A, M},
    ("api.update_service_period", "PATCH"): {A, M},
    ("api.services_report", "GET"): ALL,
    # --- end public services ---
    # --- public progress pages (issue 13 part 8) ---
    ("public.unit", "GET"): PUBLIC,
    ("public.program", "GET"): PUBLIC,
    # --- period reports, the screens (issue 13 part 9) ---
    ("reports.index", "GET"): ALL,
    ("reports.unit_reports", "GET"): ALL,
    ("reports.create", "POST"): {A, M},
    ("reports.schedule", "POST"): {A, M},
    ("reports.show", "GET"): ALL,
    ("reports.save", "POST"): {A, M},
    ("reports.submit", "POST"): {A, M},
    ("reports.return_", "POST"): {A, M},  # the level above: the walk's report is of a unit under the ward
    ("reports.document", "GET"): ALL,
    ("reports.reporting", "GET"): ALL,
    ("reports.reporting_file", "GET"): ALL,
    # --- end period reports, the screens ---
    # --- period reports, the API (issue 13 part 7) ---
    ("api.list_unit_reports", "GET"): ALL,
    ("api.create_report", "POST"): {A, M},
    ("api.get_report", "GET"): ALL,
    ("api.update_report", "PATCH"): {A, M},
    ("api.submit_report", "POST"): {A, M},
    ("api.return_report", "POST"): {A, M},  # the level above (services.may_return); the walk's {} is a 422 first
    ("api.report_document", "GET"): ALL,
    ("api.unit_reporting", "GET"): ALL,
    # --- end period reports, the API ---
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_table_covers_every_route(app):
    declared = {(rule.endpoint, method) for rule, method in _routes(app)}
    assert declared == set(TABLE), "routes missing from (or stale in) the access table"


def test_every_view_names_who_may_use_it(app):
    for rule, _method in _routes(app):
        assert hasattr(app.view_functions[rule.endpoint], "access"), rule.endpoint


@pytest.fixture
def world(app, users, ward):
    document = factories.create_document(ward)
    program = factories.create_program(ward)
    task = factories.create_task(program, owner_user=users["member"])  # the member owns it: may update it
    site = create_site(ward, SiteFields(name="Chợ Bãi Bông", kind="market"))
    board = Board(unit=ward, kind=BoardKind.STEERING_BOARD, name="Ban chỉ đạo", target_size=27)
    membership = Membership(board=board, person_name="Nguyễn Văn A", role=MemberRole.HEAD, starts_on=date(2025, 1, 1))
    service = PublicService(unit=ward, code="1.001", name="Đăng ký khai sinh", level=3)
    period = ServicePeriod(
        service=service, period_start=date(2025, 1, 1), period_end=date(2025, 3, 31), records_total=10, records_online=5
    )
    db.session.add_all([board, membership, service, period])
    # A report of a unit under the ward, so that the ward's manager is the level above that may return it.
    hamlet = factories.create_unit("Tổ dân phố 1", "residential_group", parent=ward)
    report = reports.create_report(hamlet.id, "2026-Q3")
    db.session.commit()
    return {
        "unit_id": ward.id,
        "document_id": document.id,
        "user_id": users["viewer"].id,
        "program_id": program.id,
        "task_id": task.id,
        "site_id": site.id,
        "code": site.code,
        "board_id": board.id,
        "membership_id": membership.id,
        "service_id": service.id,
        "period_id": period.id,
        "report_id": report.id,
        "fmt": "xlsx",
    }


def _url(rule, world):
    return rule.build({name: world[name] for name in rule.arguments}, append_unknown=False)[1]


def _request(client, method, url):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.open(url, method=method, json={})
    return client.open(url, method=method, data={})


@pytest.mark.parametrize("role", [None, A, M, E, V], ids=["anonymous", A, M, E, V])
def test_every_route_for_every_role(app, client, auth, world, role):
    if role:
        assert auth.login(role).status_code == 302
    problems = []
    for rule, method in _routes(app):
        if (rule.endpoint, method) == ("auth.logout", "POST"):
            continue  # would end the walk's own session; covered in test_auth
        allowed = TABLE[(rule.endpoint, method)]
        response = _request(client, method, _url(rule, world))
        status = response.status_code
        if allowed == PUBLIC or (role and role in allowed):
            ok = status < 500 and status not in (401, 403)
        elif role is None:
            ok = (
                status == 401
                if rule.rule.startswith("/api/")
                else (status == 302 and "/login" in response.headers["Location"])
            )
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{method} {rule.rule} as {role or 'anonymous'}: {status}")
    assert problems == []


def test_a_route_that_names_nobody_is_refused(app, client, auth, users):
    app.add_url_rule("/_test/unmarked", "unmarked", lambda: "secret")
    app.add_url_rule("/_test/admins", "admins", allow({A})(lambda: "ok"))
    assert client.get("/_test/unmarked").status_code == 302
    auth.login("admin")
    assert client.get("/_test/unmarked").status_code == 403
    assert client.get("/_test/admins").status_code == 200
