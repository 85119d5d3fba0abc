"""A unit typed by name on the site import (its form and its rows) and on the poster screen is read within the
user's scope (access.name_scope), as the other forms read it: a manager of Thái Nguyên typing "tan an" gets the
province's Phường Tân An, not the choice between it and Tuyên Quang's."""

import io
import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.test_site_import import stash_in_tmp  # noqa: F401 (uploads kept in the test's own folder)
from tracker.extensions import db
from tracker.sites.models import Site

HEADER = "Tên điểm,Loại điểm,Địa chỉ,Người liên hệ,Số điện thoại,Mã đơn vị,Mã QR\n"


@pytest.fixture
def tan_an(app, users, province):
    """Phường Tân An of Thái Nguyên (returned), another of Tuyên Quang, and 'tinh', a manager of Thái Nguyên."""
    own = factories.create_unit("Phường Tân An", "ward", parent=province, code="05870")
    factories.create_unit("Phường Tân An", "ward", parent=factories.create_unit("Tuyên Quang", "province", code="08"))
    factories.create_user("tinh", "manager", province)
    db.session.commit()
    return own


def test_the_site_import_reads_a_shared_name_within_the_users_scope(client, auth, tan_an):
    data = (HEADER + "Chợ Tân An,Chợ,,,,,\nTrường Tân An,Trường học,,,,phuong tan an,\n").encode("utf-8-sig")
    auth.login("tinh")
    page = client.post("/sites/import", data={"file": (io.BytesIO(data), "diem.csv"), "unit": "tan an"})
    assert page.status_code == 200, page.get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post("/sites/import/confirm", data={"token": token}).status_code == 302
    assert set(db.session.scalars(sa.select(Site.unit_id))) == {tan_an.id}
    assert len(db.session.scalars(sa.select(Site.id)).all()) == 2


def test_the_poster_screen_reads_a_shared_name_within_the_users_scope(client, auth, tan_an):
    site = factories.create_site(tan_an, "Chợ Tân An")
    db.session.commit()
    auth.login("tinh")
    response = client.post("/sites/posters", data={"unit": "tan an"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].endswith('-1-a4.pdf"')
    db.session.rollback()  # a fresh look at what the stream committed
    assert db.session.get(Site, site.id).poster_printed_at is not None
