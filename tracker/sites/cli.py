"""`flask sites …`: the site registry from the command line."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from tracker import audit, imports
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.sites.imports import SiteImport
from tracker.units.names import find_unit

sites_cli = AppGroup("sites", help="Sổ đăng ký điểm QR.")


@sites_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_ref", default="", help="Mã đơn vị (hoặc #id) cho các dòng để trống cột “Mã đơn vị”.")
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không ghi gì.")
def import_command(file: Path, unit_ref: str, dry_run: bool):
    """Import sites from a CSV or XLSX file: every row or none; exit code 1 when any row has an error."""
    audit.set_cli_actor("cli:sites import")
    try:
        unit = find_unit(unit_ref, "unit") if unit_ref.strip() else None
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if file.stat().st_size > limit:
        raise click.ClickException(f"Tệp lớn hơn giới hạn tải lên ({limit >> 20} MB).")
    importer = SiteImport(None, unit)
    result = imports.preview(importer, file.read_bytes(), file.name)
    for line in imports.report_lines(result):
        click.echo(line)
    if not result.ok:
        click.echo("Không nhập dòng nào: hãy sửa các lỗi rồi chạy lại.", err=True)
        raise SystemExit(1)
    if dry_run:
        click.echo("Kiểm tra xong (--dry-run): không ghi gì.")
        return
    try:
        counts = imports.apply(importer, result)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        click.echo(exc.message, err=True)
        raise SystemExit(1) from None
    total = counts[imports.NEW] + counts[imports.UPDATE]
    click.echo(f"Đã nhập {total} điểm ({counts[imports.NEW]} mới, {counts[imports.UPDATE]} cập nhật).")
