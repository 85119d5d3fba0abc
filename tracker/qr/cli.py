"""`flask posters OUT.pdf --unit CODE`: a unit's posters in one file, for a print shop; `flask public-address`: the
address QR codes point at, said before `make run` starts serving."""

import os
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker import audit, settings
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.qr import address
from tracker.qr.posters import LAYOUTS, write_posters
from tracker.qr.selection import iter_sites, unit_site_ids
from tracker.sites.models import SiteKind
from tracker.sites.services import mark_posters_printed
from tracker.units.names import find_unit


@click.command("posters")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--unit", "unit_ref", required=True, help="Mã đơn vị (hoặc #id); gồm cả các đơn vị trực thuộc.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="a4", show_default=True)
@click.option("--kind", type=click.Choice([k.value for k in SiteKind]), help="Chỉ in một loại điểm.")
@click.option("--reference", default="", help="Số hiệu chương trình in ở chân áp phích, ví dụ “Kế hoạch 37/KH-UBND”.")
@with_appcontext
def posters_command(out: Path, unit_ref: str, layout: str, kind: str | None, reference: str):
    """Write the posters of the unit's active sites to OUT (a PDF) and mark them printed."""
    audit.set_cli_actor("cli:posters")
    try:
        unit = find_unit(unit_ref)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    ids = unit_site_ids(unit.id, kind=kind)
    if not ids:
        raise click.ClickException(f"{unit.name} không có điểm QR đang hoạt động nào để in.")
    started = time.perf_counter()
    partial = out.with_name(out.name + ".part")  # a failed run leaves no truncated OUT behind
    with partial.open("wb") as file:
        write_posters(iter_sites(ids), layout, file, program_reference=reference or None)
    os.replace(partial, out)
    mark_posters_printed(ids)
    db.session.commit()
    click.echo(f"Đã in {len(ids)} áp phích ({layout}) vào {out} trong {time.perf_counter() - started:.1f} giây.")


@click.command("public-address")
@click.option("--serving", default="", help="Địa chỉ máy chủ đang phục vụ, ví dụ http://127.0.0.1:5000 (make run).")
@with_appcontext
def public_address_command(serving: str):
    """Say where the app serves and the public address its QR codes point at, and warn when a phone cannot open it."""
    if serving:
        click.echo(f"Trang chạy tại: {serving}")
    base = address.public_base_url()
    origin = "lưu ở trang quản trị “Địa chỉ công khai”" if settings.stored(address.KEY) else address.SETTING
    click.echo(f"Địa chỉ công khai của mã QR và áp phích: {base or '(chưa đặt)'} (theo {origin})")
    problem = address.public_address_problem(base)
    if problem:
        click.echo(
            f"Cảnh báo: {problem} Đặt {address.SETTING}=https://tên-miền-công-khai trước khi chạy, hoặc đặt ở trang "
            "quản trị “Địa chỉ công khai” (/admin/public-address); áp phích in trước đó mang dấu “BẢN IN THỬ”.",
            err=True,
        )
