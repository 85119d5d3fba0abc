"""Registers the command groups; each area keeps its own commands next to its services."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from tracker import audit
from tracker.auth import services as accounts
from tracker.auth.cli import users_cli
from tracker.auth.models import Role, User
from tracker.auth.passwords import random_password
from tracker.backup.cli import backup_command, restore_command
from tracker.checkin.cli import checkins_cli
from tracker.extensions import db
from tracker.programs.cli import tasks_cli
from tracker.qr.cli import posters_command, public_address_command
from tracker.sites.cli import sites_cli
from tracker.units.cli import units_cli
from tracker.units.models import Unit
from tracker.units.services import load_official_units


@click.command("init")
@click.option("--no-demo", is_flag=True, help="Không tạo dữ liệu mẫu.")
@with_appcontext
def init_command(no_demo):
    """First start: units, the demo scenario and an admin with a random password, each only if missing."""
    from tracker.demo import build_demo

    audit.set_cli_actor("cli:init")
    if not db.session.scalar(select(func.count(Unit.id)).where(Unit.code.is_not(None))):
        counts = load_official_units()
        click.echo(f"Đã nạp {counts['created']} đơn vị hành chính.")
    if not no_demo:
        build_demo()
    password = None
    if not db.session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN)):
        password = random_password("admin")
        accounts.create_user("admin", password, Role.ADMIN, None, "Quản trị hệ thống", must_change_password=True)
    db.session.commit()
    if password:
        click.echo("")
        click.echo("=" * 60)
        click.echo("Tài khoản quản trị: admin")
        click.echo(f"Mật khẩu (chỉ hiện một lần): {password}")
        click.echo("Lần đăng nhập đầu tiên sẽ yêu cầu đổi mật khẩu này.")
        click.echo("=" * 60)


@click.command("demo")
@with_appcontext
def demo_command():
    """Build the demo scenario of DESIGN §7 (idempotent)."""
    from tracker.demo import build_demo

    audit.set_cli_actor("cli:demo")
    summary = build_demo()
    db.session.commit()
    click.echo(f"Dữ liệu mẫu: {summary}")


def register(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(units_cli)
    app.cli.add_command(tasks_cli)
    app.cli.add_command(sites_cli)
    app.cli.add_command(checkins_cli)
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(posters_command)
    app.cli.add_command(public_address_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
