"""`flask units …`."""

import click
from flask.cli import AppGroup

from tracker import audit
from tracker.extensions import db
from tracker.units.services import load_official_units

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
