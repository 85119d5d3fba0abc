"""Which sites a bulk print covers, and loading them a chunk at a time while the PDF streams."""

from array import array
from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.extensions import db
from tracker.sites import queries
from tracker.sites.models import Site, SiteStatus
from tracker.units.services import subtree_select

CHUNK = 200


def unit_site_ids(
    unit_id: int,
    *,
    kind: str | None = None,
    query: str = "",
    status: str | None = "active",
    printed: str | None = None,
    activity: str | None = None,
) -> Sequence[int]:
    """Ids of the unit's (subtree's) sites matching the list's filters (queries.search), in the list's order;
    active sites only, since a retired site's code no longer checks in. A compact array: a province has tens of
    thousands."""
    stmt = queries.search(
        unit_ids=subtree_select(unit_id), query=query, kind=kind, status=status, printed=printed, activity=activity
    )
    stmt = stmt.where(Site.status == SiteStatus.ACTIVE).with_only_columns(Site.id)
    return array("q", db.session.scalars(stmt.execution_options(yield_per=CHUNK * 10)))


def sites_by_id(ids: list[int]) -> list:
    """Rows (id, unit_id, status, name) of the sites with these ids, in the list's order (by name); unknown ids
    are absent."""
    found = []
    for start in range(0, len(ids), CHUNK):
        stmt = select(Site.id, Site.unit_id, Site.status, Site.name, Site.search_name)
        found.extend(db.session.execute(stmt.where(Site.id.in_(ids[start : start + CHUNK]))))
    return sorted(found, key=lambda row: (row.search_name, row.id))


def iter_sites(ids: Sequence[int], chunk: int = CHUNK) -> Iterator[Site]:
    """The sites in the order of `ids`, with their units, loaded `chunk` at a time: a site no longer referenced
    leaves the session's identity map, so memory does not grow with the number of sites."""
    for start in range(0, len(ids), chunk):
        part = list(ids[start : start + chunk])
        rows = db.session.scalars(select(Site).where(Site.id.in_(part)).options(selectinload(Site.unit)))
        by_id = {site.id: site for site in rows}
        for ident in part:
            if ident in by_id:
                yield by_id[ident]
