"""`flask users …`: thin wrappers over the account services."""

import sys

import click
from flask.cli import AppGroup

from tracker import audit
from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.units.names import find_unit

users_cli = AppGroup("users", help="Manage accounts.")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)


def _user(username: str) -> User:
    user = db.session.scalar(db.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"Không có tài khoản “{username}”.")
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_code", help="Tên hoặc mã đơn vị, ví dụ “bai bong” hoặc 05860 (trừ vai trò admin).")
@click.option("--full-name", default="")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của stdin.")
def create_command(username, role, unit_code, full_name, password_stdin):
    """Create an account; the password comes from a prompt or stdin."""
    audit.set_cli_actor("cli:users create")
    try:
        unit = find_unit(unit_code) if unit_code else None
        user = services.create_user(username, _read_password(password_stdin), role, unit, full_name)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role.value}).")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="Tên gợi nhớ của mã truy cập.")
def token_command(username, name):
    """Issue an API bearer token for USERNAME and print it once."""
    audit.set_cli_actor("cli:users token")
    user = _user(username)
    if not user.is_active:
        raise click.ClickException(f"Tài khoản “{username}” đã bị khóa.")
    token = services.issue_api_token(user, name)
    db.session.commit()
    click.echo(token)


@users_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của stdin.")
def password_command(username, password_stdin):
    """Set a new password for USERNAME (ends its sessions)."""
    audit.set_cli_actor("cli:users password")
    user = _user(username)
    try:
        services.set_password(user, _read_password(password_stdin))
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Đã đặt mật khẩu mới cho {user.username}.")
