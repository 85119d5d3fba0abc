"""What the registry says of a code, remembered for a short while in each worker, for the public QR images.

A site's QR image by code (`/qr/<CODE>.svg`) is public: the code is printed on a poster (DESIGN §2.8). Pages and
chat groups that embed it ask for it again and again, and the image for a code never changes. What can change is
whether the code still names an active site (a rotation, a retirement): that verdict is asked of the database once
per code and TTL seconds in each worker, so a cached image costs no SQL. A rotated code's image may therefore be
served for up to TTL seconds more by a worker that knew it; its check-in answers 410 at once all the same
(`tracker.checkin` never uses this).
"""

import time
from enum import Enum

from flask import current_app

from tracker.checkin.services import find_site

TTL = 30.0  # seconds a worker trusts a verdict
MAX_CODES = 8192  # verdicts kept per worker: a flood of random codes cannot grow memory past this


class Verdict(Enum):
    CURRENT = 200  # the code of an active site: its image is served
    GONE = 410  # rotated away, or the site retired
    UNKNOWN = 404


def verdict(code: str) -> Verdict:
    """The registry's verdict on a normalized code, from this worker's memory when it is fresh."""
    kept = current_app.extensions.setdefault("tracker.qr.verdicts", {})
    now = time.monotonic()
    seen = kept.get(code)
    if seen is not None and seen[0] > now:
        return seen[1]
    found = find_site(code)
    said = Verdict.CURRENT if found.card is not None else Verdict.GONE if found.gone else Verdict.UNKNOWN
    if len(kept) >= MAX_CODES:
        for stale in [key for key, (until, _v) in kept.items() if until <= now]:
            del kept[stale]
        if len(kept) >= MAX_CODES:
            kept.clear()
    kept[code] = (now + TTL, said)
    return said

