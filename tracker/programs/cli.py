"""`flask tasks …`."""

import click
from flask.cli import AppGroup

from tracker import audit
from tracker.extensions import db
from tracker.programs.live import snapshot

tasks_cli = AppGroup("tasks", help="Programs and tasks.")


@tasks_cli.command("snapshot")
def snapshot_command():
    """Record today's value of every live-linked task that moved (run daily from cron)."""
    audit.set_cli_actor("cli:tasks snapshot")
    added = snapshot()
    db.session.commit()
    click.echo(f"Đã ghi {added} cập nhật tự động.")
