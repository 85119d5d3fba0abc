"""Report documents (DESIGN §9): the DOCX in the Decree 30/2020 layout, opened with python-docx; the PDF's text
extracted with pypdfium2; the XLSX's numbers read with openpyxl; the consolidated report of the level above."""

import io
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import docx
import openpyxl
import pypdfium2
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from tests import factories
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs.models import TaskCategory
from tracker.reports import periods, services
from tracker.reports.documents import report_document, reporting_document

Q3 = periods.parse("2026-Q3")
AFTER_Q3 = date(2026, 9, 16)
NARRATIVE = {
    "achievements": "Cấp mã QR cho chợ Phổ Yên và 80 hộ kinh doanh.\n\nTổ chức 5 lớp tập huấn kỹ năng số.",
    "shortcomings": "Một số tổ dân phố chưa có Tổ công nghệ số cộng đồng.",
    "causes": "Nhân lực còn kiêm nhiệm.",
    "next_steps": "In, dán áp phích mã QR tại các điểm còn thiếu.",
    "proposals": "Đề nghị tỉnh hỗ trợ kinh phí in áp phích.",
    "number": "12",
    "signer_name": "Nguyễn Văn A",
}


def _at(day: date, hour: int = 3) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def plan(app, ward, users):
    """The ward's 2026 program (an indicator at 80 of 100 by the cut-off, a milestone done on time, one overdue),
    two QR points registered before the cut-off."""
    program = factories.create_program(ward, "Kế hoạch chuyển đổi số năm 2026", starts_on=date(2026, 1, 1))
    wallets = factories.create_task(
        program, "Hộ dùng ví điện tử", measure_kind="count", target=Decimal(100), deadline=date(2026, 12, 31),
        category=TaskCategory.INDICATOR, unit_label="hộ",
    )  # fmt: skip
    portal = factories.create_task(program, "Trang tin điện tử", measure_kind="milestone", deadline=date(2026, 8, 31))
    factories.create_task(program, "Kiện toàn Tổ công nghệ số", measure_kind="milestone", deadline=date(2026, 7, 1))
    online = factories.create_task(  # a title that starts like a formula: text in the workbook
        program, "+Tỷ lệ hồ sơ trực tuyến", measure_kind="percent", target=Decimal(90), deadline=date(2026, 12, 31),
        category=TaskCategory.INDICATOR, unit_label="%",
    )  # fmt: skip
    factories.create_task_update(online, users["manager"], "45.5", at=_at(date(2026, 9, 2)))
    factories.create_task_update(wallets, users["manager"], "30", at=_at(date(2026, 5, 4)))
    factories.create_task_update(wallets, users["manager"], "80", at=_at(date(2026, 9, 1)))
    factories.create_task_update(portal, users["manager"], "1", at=_at(date(2026, 8, 1)))
    for name in ("Chợ Phổ Yên", "Nhà văn hóa tổ 3"):
        factories.insert_site(ward, name, "market", created_at=_at(date(2026, 3, 1)))
    db.session.commit()
    return {"program": program, "wallets": wallets, "portal": portal, "online": online}


@pytest.fixture
def submitted(plan, ward, users):
    """The ward's Q2 report (for the deltas), then its Q3 report with a narrative, submitted on 16/09/2026."""
    q2 = services.create_report(ward.id, "2026-Q2")
    services.submit(q2, users["manager"], today=date(2026, 6, 20))
    report = services.create_report(ward.id, "2026-Q3")
    services.update_report(report, NARRATIVE)
    services.submit(report, users["manager"], today=AFTER_Q3)
    report.submitted_at = _at(AFTER_Q3)
    db.session.commit()
    return report


def _open(body: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(body))


def _texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def _cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_docx_page_is_a4_with_the_decree_margins_and_page_numbers_from_page_2(submitted):
    body, mimetype, name = report_document(submitted, "docx")
    assert mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert name == "Báo cáo quý III năm 2026 - Phường Phổ Yên.docx"
    (section,) = _open(body).sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # stored in twips
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    assert " PAGE " in [node.text for node in header._p.iter(qn("w:instrText"))]
    assert header.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()  # no number on page 1


def test_the_docx_header_says_who_issues_it_where_and_when(submitted):
    document = _open(report_document(submitted, "docx")[0])
    header = document.tables[0]
    issuer, nation = (cell.text for cell in header.rows[0].cells)
    number, place = (cell.text for cell in header.rows[1].cells)
    assert issuer.splitlines()[:2] == ["TỈNH THÁI NGUYÊN", "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ PHƯỜNG PHỔ YÊN"]
    assert nation.splitlines()[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert number == "Số: 12/BC-BCĐ"
    assert place == "Phổ Yên, ngày 16 tháng 9 năm 2026"
    texts = _texts(document)
    title = texts.index("BÁO CÁO")
    assert texts[title + 1] == "Kết quả thực hiện chương trình chuyển đổi số quý III năm 2026"
    assert "DỰ THẢO" not in "".join(p.text for p in document.sections[0].first_page_header.paragraphs)


def test_a_draft_is_marked_and_leaves_its_number_and_date_blank(plan, ward):
    draft = services.create_report(ward.id, "2026-Q3")
    body, _mimetype, name = report_document(draft, "docx")
    assert name == "Dự thảo báo cáo quý III năm 2026 - Phường Phổ Yên.docx"
    document = _open(body)
    first = "".join(p.text for p in document.sections[0].first_page_header.paragraphs)
    assert first == "DỰ THẢO"
    number, place = (cell.text for cell in document.tables[0].rows[1].cells)
    assert " ".join(number.split()) == "Số: /BC-BCĐ" and number != "Số: /BC-BCĐ"  # room to write the number in
    assert " ".join(place.split()) == "Phổ Yên, ngày tháng năm 20.."


def test_the_docx_tables_hold_the_snapshot_and_the_changes_since_the_last_period(submitted, plan):
    figures = services.figures(submitted)
    document = _open(report_document(submitted, "docx")[0])
    _header, split, targets, registries, _footer = document.tables
    rows = {row[1]: row[2:] for row in _cells(split)[1:]}
    s = figures.split
    assert _cells(split)[0] == ["STT", "Nội dung", "Số nhiệm vụ", "So với kỳ trước"]
    assert rows["Tổng số nhiệm vụ"][0] == str(s.total) == "4"
    assert rows["Đã hoàn thành đúng hạn"][0] == str(s.done_on_time) == "1"
    assert rows["Chưa hoàn thành, đã quá hạn"][0] == str(s.overdue) == "1"
    assert rows["Chưa hoàn thành, còn trong hạn"][0] == str(s.in_progress)
    assert rows["Tỷ lệ nhiệm vụ đến hạn đã hoàn thành"][0] == "50% (1/2)"  # two due by 14/09, one done
    assert rows["Đã hoàn thành đúng hạn"][1] == "+1"  # the portal, done in August
    header, *lines = _cells(targets)
    assert header == ["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Kết quả", "Tỷ lệ", "So với kỳ trước"]
    assert ["1", "Hộ dùng ví điện tử", "hộ", "100", "80", "đạt 80%", "+50"] in lines  # 30 by 14/06, 80 by 14/09
    assert ["2", "+Tỷ lệ hồ sơ trực tuyến", "%", "90", "45,5", "đạt 50,6%", ""] in lines  # no Q2 value
    registered = next(row for row in _cells(registries) if row[1] == "Đã đăng ký")
    assert registered[2:] == [str(figures.registries.qr_registered), "0"] == ["2", "0"]


def test_the_docx_narrative_recipients_and_signature(submitted):
    document = _open(report_document(submitted, "docx")[0])
    texts = _texts(document)
    achievements = texts.index("II. KẾT QUẢ ĐẠT ĐƯỢC")
    assert texts[achievements + 1 : achievements + 4] == [
        "Cấp mã QR cho chợ Phổ Yên và 80 hộ kinh doanh.",
        "Tổ chức 5 lớp tập huấn kỹ năng số.",  # the blank line between them is no paragraph
        "III. TỒN TẠI, HẠN CHẾ",
    ]
    for heading in ("IV. NGUYÊN NHÂN", "V. NHIỆM VỤ, GIẢI PHÁP KỲ TỚI", "VI. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert heading in texts
    assert texts[texts.index("VI. ĐỀ XUẤT, KIẾN NGHỊ") + 1] == NARRATIVE["proposals"]
    recipients, signature = document.tables[-1].rows[0].cells
    lines = recipients.text.splitlines()
    assert lines == ["Nơi nhận:", "- Ban Chỉ đạo chuyển đổi số tỉnh Thái Nguyên;", "- Lưu: VT."]
    heading = recipients.paragraphs[0].runs[0]
    assert heading.bold and heading.italic and heading.font.size == Pt(12)
    assert recipients.paragraphs[1].runs[0].font.size == Pt(11)
    signed = [line for line in signature.text.splitlines() if line]
    assert signed == ["TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN", "Nguyễn Văn A"]
    assert all(run.bold for p in signature.paragraphs for run in p.runs if run.text)
    assert len(signature.paragraphs) - len(signed) >= 3  # room for the signature and the seal


def test_the_docx_is_in_times_new_roman_13_to_14_pt_for_every_script(submitted):
    document = _open(report_document(submitted, "docx")[0])
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and Pt(13) <= normal.font.size <= Pt(14)
    fonts = normal.element.rPr.rFonts
    assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia", "cs")} == {"Times New Roman"}
    for paragraph in document.paragraphs:  # the body: its size and font are Normal's
        for run in paragraph.runs:
            assert run.font.name in (None, "Times New Roman")
            assert run.font.size is None or Pt(13) <= run.font.size <= Pt(14), (paragraph.text, run.font.size)
    body = next(p for p in document.paragraphs if p.text.startswith("Cấp mã QR"))
    assert body.paragraph_format.first_line_indent is not None


def test_the_documents_are_in_vietnamese_whatever_the_readers_language(app, submitted):
    with app.test_request_context("/?lang=en"):
        document = _open(report_document(submitted, "docx")[0])
    texts = _texts(document)
    assert "Kết quả thực hiện chương trình chuyển đổi số quý III năm 2026" in texts
    assert "II. KẾT QUẢ ĐẠT ĐƯỢC" in texts
    assert "45,5" in [row[4] for row in _cells(document.tables[2])]  # the decimal comma


def test_an_unknown_format_is_refused_naming_the_field(submitted):
    with pytest.raises(ValidationError) as err:
        report_document(submitted, "odt")
    assert list(err.value.fields) == ["format"] and "odt" in err.value.message


def _pdf_pages(body: bytes) -> list[str]:
    assert body.startswith(b"%PDF-")
    pdf = pypdfium2.PdfDocument(body)
    try:
        return [" ".join(unicodedata.normalize("NFC", page.get_textpage().get_text_range()).split()) for page in pdf]
    finally:
        pdf.close()


def test_the_pdf_has_the_same_layout_in_a_shipped_serif(submitted):
    body, mimetype, name = report_document(submitted, "pdf")
    assert (mimetype, name) == ("application/pdf", "Báo cáo quý III năm 2026 - Phường Phổ Yên.pdf")
    pages = _pdf_pages(body)
    text = " ".join(pages)
    for expected in (
        "TỈNH THÁI NGUYÊN",
        "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ PHƯỜNG PHỔ YÊN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/BC-BCĐ",
        "Phổ Yên, ngày 16 tháng 9 năm 2026",
        "BÁO CÁO Kết quả thực hiện chương trình chuyển đổi số quý III năm 2026",
        "Hộ dùng ví điện tử hộ 100 80 đạt 80% +50",
        "II. KẾT QUẢ ĐẠT ĐƯỢC Cấp mã QR cho chợ Phổ Yên và 80 hộ kinh doanh.",
        "VI. ĐỀ XUẤT, KIẾN NGHỊ Đề nghị tỉnh hỗ trợ kinh phí in áp phích.",
        "Nơi nhận:",
        "TM. BAN CHỈ ĐẠO TRƯỞNG BAN",
        "Nguyễn Văn A",
    ):
        assert expected in text, expected
    assert "DỰ THẢO" not in text
    assert not pages[0].startswith("1 ")  # no number on page 1
    if len(pages) > 1:
        assert pages[1].startswith("2 ")  # from page 2, at the top
    assert b"LiberationSerif" in body  # the shipped font, embedded


def test_a_draft_pdf_is_marked(plan, ward):
    draft = services.create_report(ward.id, "2026-Q3")
    pages = _pdf_pages(report_document(draft, "pdf")[0])
    assert pages[0].startswith("DỰ THẢO") and "Phổ Yên, ngày tháng năm 20.." in pages[0]


def test_the_xlsx_has_the_three_tables_as_numbers(submitted):
    body, mimetype, name = report_document(submitted, "xlsx")
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert name == "Báo cáo quý III năm 2026 - Phường Phổ Yên.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Nhiệm vụ", "Chỉ tiêu", "Đăng ký"]
    figures = services.figures(submitted)
    tasks = {row[1]: row[2:] for row in book["Nhiệm vụ"].iter_rows(min_row=5, values_only=True)}
    assert tasks["Tổng số nhiệm vụ"] == (figures.split.total, 0)
    assert tasks["Tỷ lệ nhiệm vụ đến hạn đã hoàn thành"][0] == pytest.approx(0.5)
    sheet = book["Chỉ tiêu"]
    targets = {row[1].value: row for row in sheet.iter_rows(min_row=5)}
    wallets = targets["Hộ dùng ví điện tử"]
    assert [c.value for c in wallets[3:7]] == [100, 80, pytest.approx(0.8), 50]
    assert wallets[5].number_format == '"đạt "0.0%'
    formula_like = targets["+Tỷ lệ hồ sơ trực tuyến"][1]
    assert formula_like.data_type == "s"  # text, never a formula
    registries = {row[1]: row[2] for row in book["Đăng ký"].iter_rows(min_row=5, values_only=True)}
    assert registries["Đã đăng ký"] == figures.registries.qr_registered == 2
    assert registries["Thành viên hiện có"] == figures.registries.board_current


# --- the consolidated report of the level above --------------------------------------------------------------


@pytest.fixture
def consolidated(submitted, plan, province, users):
    """Three wards expected for Q3: Phổ Yên sent on time, Bắc Kạn sent late, Đại Phúc sent nothing."""
    late = factories.create_unit("Phường Bắc Kạn", "ward", parent=province, code="01843")
    factories.create_unit("Xã Đại Phúc thuộc thành phố Phổ Yên cũ, tỉnh Thái Nguyên", "commune", parent=province)
    program = factories.create_program(late, "Kế hoạch năm 2026", starts_on=date(2026, 1, 1))
    factories.create_task(program, "Số hóa hồ sơ", measure_kind="milestone", deadline=date(2026, 8, 1))
    factories.create_task(program, "Kiện toàn Ban", measure_kind="milestone", deadline=date(2027, 1, 1))
    factories.insert_site(late, "Chợ Bắc Kạn", "market", created_at=_at(date(2026, 2, 1)))
    tardy = services.create_report(late.id, "2026-Q3")
    services.update_report(tardy, {"proposals": "Đề nghị bổ sung máy tính cho bộ phận một cửa."})
    services.submit(tardy, users["manager"], today=AFTER_Q3)
    tardy.submitted_at = _at(date(2026, 9, 30))
    db.session.commit()
    return province


def test_the_consolidated_docx_has_the_rates_and_a_row_per_subordinate(consolidated, submitted):
    body, _mimetype, name = reporting_document(consolidated.id, Q3, "docx")
    assert name == "Tổng hợp báo cáo quý III năm 2026 - Thái Nguyên.docx"
    document = _open(body)
    issuer, nation = (cell.text for cell in document.tables[0].rows[0].cells)
    assert issuer.splitlines()[0] == "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ TỈNH THÁI NGUYÊN"  # no level above a province
    assert nation.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    texts = _texts(document)
    assert texts[texts.index("BÁO CÁO") + 1].startswith("Tổng hợp kết quả thực hiện chương trình chuyển đổi số quý III")
    _header, rates, tasks, registries, _footer = document.tables
    assert [row[2:] for row in _cells(rates)[1:]] == [["3", "100%"], ["2", "66,7%"], ["1", "33,3%"], ["1", "33,3%"]]
    assert "Đơn vị chưa gửi báo cáo (1): Xã Đại Phúc thuộc thành phố Phổ Yên cũ, tỉnh Thái Nguyên." in texts
    assert "Đơn vị gửi sau hạn (1): Phường Bắc Kạn." in texts
    rows = _cells(tasks)
    assert rows[0][:4] == ["STT", "Đơn vị", "Tổng số nhiệm vụ", "Đã hoàn thành"]  # grouped headings
    assert rows[1][3:5] == ["Đúng hạn", "Quá hạn"]
    by_unit = {row[1]: row[2:] for row in rows[2:]}
    assert by_unit["Phường Phổ Yên"] == ["4", "1", "0", "2", "1", "50%", "2", "0"]
    assert by_unit["Phường Bắc Kạn"] == ["2", "0", "0", "1", "1", "0%", "0", "0"]
    assert set(by_unit["Xã Đại Phúc thuộc thành phố Phổ Yên cũ, tỉnh Thái Nguyên"]) == {"Chưa gửi báo cáo"}
    assert by_unit["Tổng cộng"] == ["6", "1", "0", "3", "2", "33,3%", "2", "0"]  # sent reports only: 1 of 3 due done
    registered = {row[1]: row[2] for row in _cells(registries)[2:]}
    assert registered["Phường Phổ Yên"] == "2" and registered["Phường Bắc Kạn"] == "1"
    assert registered["Tổng cộng"] == "3"
    assert "III. ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ" in texts
    assert "Phường Bắc Kạn: Đề nghị bổ sung máy tính cho bộ phận một cửa." in texts


def test_the_consolidated_pdf_and_xlsx(consolidated):
    text = " ".join(_pdf_pages(reporting_document(consolidated.id, Q3, "pdf")[0]))
    assert "Tổng hợp kết quả thực hiện chương trình chuyển đổi số quý III năm 2026" in text
    assert "Phường Phổ Yên 4 1 0 2 1 50% 2 0" in text and "Tổng cộng 6 1 0 3 2 33,3% 2 0" in text
    assert "Chưa gửi báo cáo" in text and "Thái Nguyên, ngày tháng năm 20.." in text
    book = openpyxl.load_workbook(io.BytesIO(reporting_document(consolidated.id, Q3, "xlsx")[0]))
    assert book.sheetnames == ["Tình hình gửi", "Nhiệm vụ", "Đăng ký"]
    rates = [row[2:] for row in book["Tình hình gửi"].iter_rows(min_row=5, values_only=True)]
    assert rates[:2] == [(3, 1), (2, pytest.approx(2 / 3))]
    tasks = {row[1]: row[2:] for row in book["Nhiệm vụ"].iter_rows(min_row=6, values_only=True)}
    assert tasks["Tổng cộng"][:5] == (6, 1, 0, 3, 2) and tasks["Tổng cộng"][5] == pytest.approx(1 / 3)
    assert "D4:E4" in {str(r) for r in book["Nhiệm vụ"].merged_cells.ranges}  # "Đã hoàn thành" over its two


def test_a_city_sees_its_wards_and_a_province_its_cities_and_communes(app, province, users):
    city = factories.create_unit("Thành phố Phổ Yên", "city", parent=province)
    ward = factories.create_unit("Phường Ba Hàng", "ward", parent=city)
    commune = factories.create_unit("Xã Vô Tranh", "commune", parent=province)
    report = services.create_report(ward.id, "2026-Q3")
    services.submit(report, users["manager"], today=AFTER_Q3)
    db.session.commit()
    city_rows = _cells(_open(reporting_document(city.id, Q3, "docx")[0]).tables[2])
    assert [row[1] for row in city_rows[2:]] == ["Phường Ba Hàng", "Tổng cộng"]
    province_rows = _cells(_open(reporting_document(province.id, Q3, "docx")[0]).tables[2])
    names = [row[1] for row in province_rows[2:]]
    assert names[-1] == "Tổng cộng" and {city.name, commune.name} <= set(names) and ward.name not in names


def test_every_table_fits_the_text_width_and_no_heading_breaks_inside_a_word(app):
    """The columns of each table add up to the text width, and the longest word of each heading fits its cell."""
    from tracker.reports.documents import consolidated as consolidated_module
    from tracker.reports.documents import content, fonts, layout
    from tracker.reports.snapshot import Deltas, Snapshot, TargetRow

    figures = Snapshot(1, "X", "2026-Q3", date(2026, 9, 14), datetime.now(UTC), None)
    figures.targets.append(TargetRow(1, "Chỉ tiêu", "hộ", Decimal(1), Decimal(1), Decimal(1), "done_on_time"))
    tables = [
        build(figures, delta)
        for delta in (None, Deltas())
        for build in (content.split_table, content.targets_table, content.registries_table)
    ]
    reporting = services.Reporting(1, Q3)
    tables += [build(reporting) for build in (consolidated_module.rates_table, consolidated_module.tasks_table)]
    tables.append(consolidated_module.registries_table(reporting))
    for table in tables:
        assert sum(c.width for c in table.columns) == pytest.approx(layout.TEXT_WIDTH), table.sheet
        size = layout.SMALL_TABLE if table.small else layout.TABLE
        pad = 2 * (layout.SMALL_PAD if table.small else layout.CELL_PAD)
        for head in table.header():
            room = sum(c.width for c in table.columns[head.column : head.column + head.columns]) - pad
            longest = max(fonts.width_mm(word, size, bold=True) for word in head.text.split())
            assert longest <= room, (table.sheet, head.text)
        for column in table.columns[1:]:  # a total of five digits (a province's sites), in bold, on one line
            if column.numeric:
                assert fonts.width_mm("99.999", size, bold=True) <= column.width - pad, (table.sheet, column.label)


def test_control_characters_pasted_into_a_field_do_not_break_a_document(plan, ward):
    draft = services.create_report(ward.id, "2026-Q3")
    services.update_report(draft, {"causes": "Kinh phí\x0b hạn chế\x01.", "issuer": "BAN CHỈ ĐẠO\x08 PHƯỜNG"})
    document = _open(report_document(draft, "docx")[0])
    texts = _texts(document)
    assert texts[texts.index("IV. NGUYÊN NHÂN") + 1 :][:2] == ["Kinh phí", "hạn chế."]  # Word's line break: a new one
    assert "BAN CHỈ ĐẠO PHƯỜNG" in document.tables[0].rows[0].cells[0].text
    assert "IV. NGUYÊN NHÂN Kinh phí hạn chế." in " ".join(_pdf_pages(report_document(draft, "pdf")[0]))
    assert report_document(draft, "xlsx")[0].startswith(b"PK")
