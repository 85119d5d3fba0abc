"""gunicorn's settings for Tracker, read when gunicorn starts in this folder (or with `-c gunicorn.conf.py`).

It adds one check to a production start: with several workers, rate limits kept in each worker's memory would
let workers × the limit through, so the first worker to load the app stops the server with a message naming
TRACKER_RATELIMIT_STORAGE_URI (tracker.extensions.check_limit_storage) instead of starting silently.
"""

import sys

WORKER_BOOT_ERROR = 3  # gunicorn's exit status for a worker that cannot boot: the master halts, it does not retry


def post_worker_init(worker):
    from tracker.extensions import check_limit_storage

    app = worker.wsgi
    if not hasattr(app, "config"):  # not a Flask app: nothing of ours to check
        return
    try:
        check_limit_storage(app, worker.cfg.workers)
    except RuntimeError as exc:
        worker.log.error("Refusing to start: %s", exc)
        sys.exit(WORKER_BOOT_ERROR)
