"""`flask checkins …`."""

import click
from flask import current_app
from flask.cli import AppGroup

from tracker.checkin.services import purge_personal_data
from tracker.extensions import db

checkins_cli = AppGroup("checkins", help="Public check-ins.")


@checkins_cli.command("purge")
def purge_command():
    """Forget visitors' phone numbers and device hashes older than CHECKIN_RETENTION_DAYS (run daily from cron);
    the check-ins and their counts stay."""
    days = current_app.config["CHECKIN_RETENTION_DAYS"]
    phones, devices = purge_personal_data(days)
    db.session.commit()
    click.echo(f"Đã xóa số điện thoại của {phones} lượt và mã thiết bị của {devices} lượt check-in cũ hơn {days} ngày.")
