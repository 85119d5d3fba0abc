"""The site registry's read queries: the list's filters, and check-in statistics per site, per day and per unit,
each a fixed number of grouped queries."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from tests import factories
from tracker.dashboards.queries import qr_points
from tracker.extensions import db
from tracker.sites import queries
from tracker.sites.codes import grouped
from tracker.sites.models import SiteKind, SiteStatus
from tracker.units.services import subtree_select

TODAY = date(2025, 7, 15)


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def sites(app, province, ward):
    """A market with four check-ins, a school with an old one, a quiet agency, a retired site, another ward's site."""
    market = factories.create_site(ward, "Chợ Bãi Bông", "market", address="Tổ 5, phường Bãi Bông")
    school = factories.create_site(ward, "Trường Tiểu học Phổ Yên", "school", address="Đường Lý Nam Đế")
    agency = factories.create_site(ward, "UBND phường Phổ Yên", "agency")
    closed = factories.create_site(ward, "Cửa hàng đã đóng", "household_business")
    other_ward = factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")
    elsewhere = factories.create_site(other_ward, "Chợ Ba Hàng", "market")
    market.poster_printed_at = at(2025, 7, 1, 8, 0)
    closed.status = SiteStatus.RETIRED
    factories.check_in(market, at(2025, 7, 15, 2, 0))  # today, 09:00 in Vietnam
    factories.check_in(market, at(2025, 7, 10, 10, 0))  # within 7 days
    factories.check_in(market, at(2025, 7, 1, 20, 0))  # within 30 days: 03:00 on 2 July in Vietnam
    factories.check_in(market, at(2025, 5, 1, 8, 0))  # older than 30 days
    factories.check_in(school, at(2025, 6, 1, 8, 0))  # older than 30 days
    factories.check_in(closed, at(2025, 7, 14, 8, 0))
    factories.check_in(elsewhere, at(2025, 7, 14, 9, 0))
    db.session.commit()
    return {"market": market, "school": school, "agency": agency, "closed": closed, "elsewhere": elsewhere}


def names(stmt) -> list[str]:
    return [s.name for s in db.session.scalars(stmt)]


def count_statements(fn, *args, **kwargs):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = fn(*args, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, len(seen)


# --- search ------------------------------------------------------------------------------------------


def test_search_is_accent_insensitive_on_names_and_finds_typed_codes(sites, ward):
    scope = subtree_select(ward.id)
    assert names(queries.search(unit_ids=scope, query="cho bai bong")) == ["Chợ Bãi Bông"]
    assert names(queries.search(unit_ids=scope, query="  CHỢ  bãi ")) == ["Chợ Bãi Bông"]
    assert names(queries.search(unit_ids=scope, query="lý nam")) == ["Trường Tiểu học Phổ Yên"]
    typed = grouped(sites["agency"].code).lower()  # as someone copies it from a poster: 7k3m-9qxa-b2cd
    assert names(queries.search(unit_ids=scope, query=typed)) == ["UBND phường Phổ Yên"]
    assert names(queries.search(unit_ids=scope, query=sites["agency"].code)) == ["UBND phường Phổ Yên"]
    assert names(queries.search(unit_ids=scope, query="tổ 5,")) == ["Chợ Bãi Bông"]
    assert names(queries.search(unit_ids=scope, query="100%_")) == []


def test_search_filters(sites, ward):
    scope = subtree_select(ward.id)
    active = ["Chợ Bãi Bông", "Trường Tiểu học Phổ Yên", "UBND phường Phổ Yên"]
    assert names(queries.search(unit_ids=scope)) == active
    assert names(queries.search(unit_ids=scope, status="retired")) == ["Cửa hàng đã đóng"]
    assert len(names(queries.search(unit_ids=scope, status="all"))) == 4
    assert names(queries.search(unit_ids=scope, kind="school")) == ["Trường Tiểu học Phổ Yên"]
    assert names(queries.search(unit_ids=scope, printed="yes")) == ["Chợ Bãi Bông"]
    assert names(queries.search(unit_ids=scope, printed="no")) == active[1:]
    assert names(queries.search(unit_ids=scope, activity="active", today=TODAY)) == ["Chợ Bãi Bông"]
    assert names(queries.search(unit_ids=scope, activity="inactive", today=TODAY)) == active[1:]
    assert names(queries.search(unit_ids=scope, status="all", activity="active", today=TODAY)) == [
        "Chợ Bãi Bông",
        "Cửa hàng đã đóng",
    ]
    # Junk filter values are ignored rather than sent to the database.
    assert names(queries.search(unit_ids=scope, kind="castle", printed="maybe", activity="?")) == active
    assert names(queries.search(query="chợ")) == ["Chợ Ba Hàng", "Chợ Bãi Bông"]  # no unit: every unit


# --- statistics --------------------------------------------------------------------------------------


def test_site_stats_in_one_query(sites):
    ids = [s.id for s in sites.values()]
    stats, statements = count_statements(queries.site_stats, ids, TODAY)
    assert statements == 1
    assert stats[sites["market"].id] == queries.SiteStats(4, 2, 3, at(2025, 7, 15, 2, 0))
    assert stats[sites["school"].id] == queries.SiteStats(1, 0, 0, at(2025, 6, 1, 8, 0))
    assert stats[sites["closed"].id] == queries.SiteStats(1, 1, 1, at(2025, 7, 14, 8, 0))
    assert sites["agency"].id not in stats
    assert queries.site_stats([], TODAY) == {}


def test_daily_counts_follow_vietnamese_days_and_add_up_to_the_window(sites):
    days, statements = count_statements(queries.daily_counts, sites["market"].id, TODAY)
    assert statements == 1
    assert len(days) == 31 and days[0][0] == date(2025, 6, 15) and days[-1][0] == TODAY
    counts = dict(days)
    assert counts[date(2025, 7, 15)] == 1
    assert counts[date(2025, 7, 10)] == 1
    assert counts[date(2025, 7, 2)] == 1 and counts[date(2025, 7, 1)] == 0  # 20:00 UTC is the next morning
    assert sum(counts.values()) == queries.site_stats([sites["market"].id], TODAY)[sites["market"].id].last30


def test_unit_stats_in_three_queries(sites, ward, province):
    stats, statements = count_statements(queries.unit_stats, subtree_select(ward.id), TODAY)
    assert statements == 3  # the kept counts, the kept activity days, the check-ins
    assert (stats.registered, stats.posters_printed, stats.active_30d) == (3, 1, 1)  # the retired site is not counted
    assert (stats.checkins_total, stats.checkins_7d, stats.checkins_30d) == (6, 3, 4)  # its check-ins are
    assert stats.last_at == at(2025, 7, 15, 2, 0)
    assert stats.by_kind[SiteKind.MARKET] == queries.KindCounts(1, 1, 1)
    assert SiteKind.HOUSEHOLD_BUSINESS not in stats.by_kind
    whole = queries.unit_stats({province.id, ward.id, sites["elsewhere"].unit_id}, TODAY)
    assert (whole.registered, whole.active_30d, whole.checkins_total) == (4, 2, 7)
    _, statements = count_statements(queries.unit_stats, [ward.id], TODAY, checkins=False)
    assert statements == 2
    empty = queries.unit_stats([], TODAY)
    assert (empty.registered, empty.checkins_total, empty.last_at) == (0, 0, None)


def test_the_dashboard_panel_reads_the_same_statistics(sites, ward):
    panel = qr_points({ward.id}, TODAY)
    assert (panel.total.registered, panel.total.printed, panel.total.active) == (3, 1, 1)
    kinds = {kind: (c.registered, c.printed, c.active) for kind, c in panel.by_kind}
    assert kinds == {SiteKind.MARKET: (1, 1, 1), SiteKind.SCHOOL: (1, 0, 0), SiteKind.AGENCY: (1, 0, 0)}
