"""The counts the database keeps by trigger (sites' last check-in, per-unit site counts and activity days) always
equal a recount of the sites and check-ins, whatever path wrote them: the ORM, bulk SQL or the check-in hot path."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update

from tests import factories
from tracker.checkin.services import check_in
from tracker.extensions import db
from tracker.sites.codes import new_code
from tracker.sites.models import CheckIn, Site, SiteActivity, SiteCount, SiteStatus
from tracker.sites.queries import unit_stats

NOW = datetime(2025, 7, 15, 3, 0, tzinfo=UTC)


def recount() -> tuple[dict, dict]:
    """What the triggers should hold, counted from the sites and check-ins themselves."""
    last = {
        site_id: at
        for site_id, at in db.session.execute(select(CheckIn.site_id, func.max(CheckIn.at)).group_by(CheckIn.site_id))
    }
    counts, activity = {}, {}
    for site in db.session.scalars(select(Site)):
        assert site.last_checkin_at == last.get(site.id) or (
            site.last_checkin_at is not None and site.last_checkin_at.date() == last[site.id].date()
        ), site.name  # a check-in of the site's latest day with any
        if site.status != SiteStatus.ACTIVE:
            continue
        key = (site.unit_id, site.kind.value)
        registered, printed = counts.get(key, (0, 0))
        counts[key] = (registered + 1, printed + (site.poster_printed_at is not None))
        if site.id in last:
            day_key = (*key, last[site.id].date())
            activity[day_key] = activity.get(day_key, 0) + 1
    return counts, activity


def kept() -> tuple[dict, dict]:
    counts = {
        (r.unit_id, r.kind): (r.registered, r.printed)
        for r in db.session.scalars(select(SiteCount))
        if r.registered or r.printed
    }
    activity = {(r.unit_id, r.kind, r.day): r.sites for r in db.session.scalars(select(SiteActivity)) if r.sites}
    return counts, activity


def test_the_kept_counts_follow_every_kind_of_change(app, province, ward):
    other = factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")
    market = factories.insert_site(ward, "Chợ", "market")
    school = factories.insert_site(ward, "Trường", "school")
    shop = factories.insert_site(other, "Quán", "other")
    db.session.commit()
    assert kept() == recount()

    # check-ins through the ORM, on two days, and through the hot path
    db.session.add_all(
        [
            CheckIn(site_id=market.id, at=NOW - timedelta(days=3), device_hash="a"),
            CheckIn(site_id=market.id, at=NOW, device_hash="b"),
            CheckIn(site_id=school.id, at=NOW - timedelta(days=40), device_hash="c"),
        ]
    )
    db.session.commit()
    check_in(db.session.connection(), shop.code, "d", now=NOW - timedelta(hours=1))
    check_in(db.session.connection(), shop.code, "e", now=NOW)
    check_in(db.session.connection(), school.code, "f", now=NOW - timedelta(days=50))  # older than its latest
    db.session.commit()
    assert kept() == recount()

    # a poster printed, a kind changed, a site moved to another unit, a site retired, a bulk insert, a delete
    market.poster_printed_at = NOW
    school.kind = "agency"
    shop.unit = ward
    db.session.commit()
    assert kept() == recount()
    market.status = SiteStatus.RETIRED
    db.session.commit()
    assert kept() == recount()
    market.status = SiteStatus.ACTIVE
    db.session.execute(
        insert(Site).values(
            unit_id=other.id, name="Bến xe", search_name="ben xe", kind="other", code=new_code(), status="active",
            address="", contact_name="", contact_phone="", created_at=NOW, updated_at=NOW, version=1,
        )
    )  # fmt: skip
    db.session.execute(update(Site).where(Site.id == school.id).values(poster_printed_at=NOW))
    db.session.commit()
    assert kept() == recount()
    db.session.execute(CheckIn.__table__.delete().where(CheckIn.site_id == shop.id))
    db.session.delete(shop)
    db.session.commit()
    counts, activity = kept()
    # the shop's last check-in day is gone with it; nothing else moved
    assert (counts, activity) == recount()


def test_the_units_figures_read_the_kept_counts(app, province, ward):
    market = factories.insert_site(ward, "Chợ", "market", poster_printed_at=NOW)
    school = factories.insert_site(ward, "Trường", "school")
    factories.insert_site(ward, "Đã đóng", "market", status=SiteStatus.RETIRED)
    db.session.add(CheckIn(site_id=market.id, at=NOW, device_hash="a"))
    db.session.add(CheckIn(site_id=school.id, at=NOW - timedelta(days=45), device_hash="b"))
    db.session.commit()
    stats = unit_stats({ward.id, province.id}, NOW.date())
    assert (stats.registered, stats.posters_printed, stats.active_30d) == (2, 1, 1)
    assert stats.by_kind["market"] == (1, 1, 1) and stats.by_kind["school"] == (1, 0, 0)
