"""`flask backup DEST` and `flask restore SRC` (DESIGN §12): thin wrappers over tracker.backup.services."""

from pathlib import Path

import click

from tracker.backup import BackupError, services


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n / 1024:.1f} kB"


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), help="DEST là thư mục: chỉ giữ N bản sao lưu mới nhất trong đó.")
def backup_command(dest: Path, keep: int | None):
    """Write one archive of the database (a consistent copy, taken while the app serves), the uploaded files and a
    manifest; DEST is a file (.tar or .tar.gz) or a folder, which gets tracker-YYYYMMDD-HHMMSS.tar.gz."""
    try:
        made = services.create_backup(dest, keep)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(t["rows"] for t in made["tables"].values())
    size = Path(made["path"]).stat().st_size
    click.echo(
        f"Đã sao lưu vào {made['path']} ({_size(size)}): {len(made['tables'])} bảng, {rows} dòng, "
        f"{len(made['files'])} tệp tải lên; migration {made['revision']}."
    )
    if made["removed"]:
        click.echo(f"Đã xóa {len(made['removed'])} bản cũ: {', '.join(Path(p).name for p in made['removed'])}.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Thay thế CSDL và tệp tải lên đang có dữ liệu.")
def restore_command(src: Path, force: bool):
    """Load an archive made by `backup` into an empty database (--force to replace one), after checking its
    checksums; then compare the rows with its manifest and say what was restored."""
    try:
        done = services.restore_backup(src, force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Đã khôi phục {src} (sao lưu lúc {done['created_at']}, Tracker {done['app_version']}, "
        f"migration {done['revision']}):"
    )
    for name, rows in done["tables"].items():
        click.echo(f"  {name}: {rows} dòng")
    click.echo(f"  {done['files']} tệp tải lên ({_size(done['file_bytes'])})")
    click.echo(f"Số dòng và mã kiểm tra của {len(done['tables'])} bảng khớp với manifest.")
    if done["upgrade"]:
        click.echo("CSDL ở migration cũ hơn mã nguồn: chạy `flask --app tracker db upgrade`.")
