def test_login_page_renders_in_vietnamese(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Đăng nhập".encode() in page.data


def test_admin_logs_in_and_sees_dashboard(client, auth, users, province):
    response = auth.login("admin")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # What only the dashboard shows an admin with no unit of their own: the provinces to open, each linked.
    assert '<h1 data-testid="dashboard-title">Tổng quan</h1>' in html
    assert 'data-testid="unit-picker"' in html
    assert f'<a href="/?unit_id={province.id}">Thái Nguyên</a>' in html
