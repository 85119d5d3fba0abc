"""Every download names its file through tracker.downloads.attachment: the real name, accents and all, as RFC 5987
`filename*=UTF-8''…`, an ASCII `filename` for the clients that read only that, and no cache keeps it."""

from urllib.parse import unquote

from tracker import downloads


def _names(disposition: str) -> tuple[str, str | None]:
    assert disposition.startswith("attachment; filename=")
    plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
    real = disposition.split("filename*=UTF-8''", 1)[1] if "filename*=" in disposition else None
    return plain, real


def test_a_vietnamese_name_arrives_in_utf8_with_an_ascii_fallback(app):
    with app.test_request_context():
        response = downloads.attachment(b"x", downloads.XLSX_MIMETYPE, 'Đội Phổ Yên: báo cáo "quý" 3.xlsx')
    disposition = response.headers["Content-Disposition"]
    disposition.encode("ascii")  # the header itself is ASCII: the UTF-8 name travels percent-encoded
    plain, real = _names(disposition)
    assert plain == "Doi Pho Yen- bao cao -quy- 3.xlsx"
    assert unquote(real) == 'Đội Phổ Yên: báo cáo "quý" 3.xlsx'
    assert " " not in real and '"' not in real and ";" not in real
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_data() == b"x"


def test_an_ascii_name_is_sent_alone_and_a_given_fallback_wins(app):
    with app.test_request_context():
        plain_only = downloads.attachment(b"x", downloads.CSV_CONTENT_TYPE, "mau-nhap-diem-qr.csv")
        chosen = downloads.attachment(
            b"x", downloads.CSV_CONTENT_TYPE, "Chương trình.csv", fallback="chuong-trinh-7.csv"
        )
    assert plain_only.headers["Content-Disposition"] == 'attachment; filename="mau-nhap-diem-qr.csv"'
    assert plain_only.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert _names(chosen.headers["Content-Disposition"]) == ("chuong-trinh-7.csv", "Ch%C6%B0%C6%A1ng%20tr%C3%ACnh.csv")


def test_a_name_of_no_latin_letters_still_has_a_fallback(app):
    with app.test_request_context():
        response = downloads.attachment(b"x", "application/pdf", "报告.pdf")
    plain, real = _names(response.headers["Content-Disposition"])
    assert plain == "download.pdf"
    assert unquote(real) == "报告.pdf"


def test_the_services_report_and_the_import_templates_go_through_it(client, auth, users):
    auth.login("manager")
    template = client.get("/services/import/template.xlsx")
    assert template.status_code == 200
    assert template.headers["Content-Disposition"] == 'attachment; filename="mau-nhap-dich-vu-cong.xlsx"'
    assert template.headers["Cache-Control"] == "private, no-store"
    assert template.headers["Content-Type"] == downloads.XLSX_MIMETYPE
