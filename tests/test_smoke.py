def test_login_page_renders_in_vietnamese(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Đăng nhập".encode() in page.data


def test_admin_logs_in_and_sees_dashboard(client, auth, users):
    response = auth.login("admin")
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "Tổng quan".encode() in page.data
