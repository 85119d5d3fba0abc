"""Backup and restore (DESIGN §12): one archive holding a consistent copy of the database taken while the app serves,
the uploaded files and a manifest (app version, migration revision, row counts, checksums); its restore into an
empty database checks every figure before the app is given the data.

figures: row counts and checksums; databases: SQLite's online backup, pg_dump/pg_restore; services: the archive."""


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (the commands show it as is)."""
