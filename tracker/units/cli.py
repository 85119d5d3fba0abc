"""`flask units …`."""

import click
from flask.cli import AppGroup

from tracker import audit
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.forms import parse_day
from tracker.units.names import find_unit, find_units
from tracker.units.services import load_official_units, merge

units_cli = AppGroup("units", help="Administrative units.")


@units_cli.command("load")
def load_command():
    """Import the 34 provinces and 3,321 communes, wards and special zones (idempotent)."""
    audit.set_cli_actor("cli:units load")
    counts = load_official_units()
    db.session.commit()
    click.echo(
        f"Đơn vị hành chính: {counts['created']} mới, {counts['updated']} cập nhật, {counts['unchanged']} không đổi."
    )


@units_cli.command("merge")
@click.argument("sources")
@click.option("--into", "into_ref", required=True, help="Đơn vị tiếp nhận: mã, #số thứ tự hoặc tên.")
@click.option("--on", "on_text", required=True, help="Ngày sáp nhập, dd/mm/yyyy.")
@click.option("--keep-seats", is_flag=True, help="Giữ nguyên thành viên Ban của đơn vị cũ.")
def merge_command(sources, into_ref, on_text, keep_seats):
    """Merge SOURCES into another unit: the web form's rules, in one transaction.

    SOURCES: codes or #ids separated by commas, or names separated by semicolons
    ("Phường Bãi Bông; Phường Ba Hàng").
    """
    audit.set_cli_actor("cli:units merge")
    try:
        on = parse_day(on_text)
    except ValueError as exc:
        raise click.ClickException(f"Ngày sáp nhập: {exc}") from None
    if on is None:
        raise click.ClickException("Ngày sáp nhập: hãy nhập theo dạng dd/mm/yyyy.")
    try:
        result = merge(find_units(sources, "sources"), find_unit(into_ref, "into"), on, keep_seats=keep_seats)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(
        f"Đã sáp nhập: {result.sites_moved} điểm QR chuyển sang đơn vị tiếp nhận, "
        f"{result.seats_ended} thành viên Ban thôi tham gia."
    )
