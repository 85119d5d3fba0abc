"""`flask checkins …`."""

import click
from flask import current_app
from flask.cli import AppGroup

from tracker.checkin.services import purge_phones
from tracker.extensions import db

checkins_cli = AppGroup("checkins", help="Public check-ins.")


@checkins_cli.command("purge")
def purge_command():
    """Delete visitors' phone numbers older than CHECKIN_RETENTION_DAYS (run daily from cron); counts stay."""
    days = current_app.config["CHECKIN_RETENTION_DAYS"]
    purged = purge_phones(days)
    db.session.commit()
    click.echo(f"Đã xóa số điện thoại của {purged} lượt check-in cũ hơn {days} ngày.")
