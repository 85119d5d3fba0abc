"""A site's QR code: its payload, its module matrix, and the SVG and PNG images (DESIGN §2.8, §4).

The payload is the public address in force (tracker.qr.address) + "/c/" + code upper-cased as a whole: every
character is then in the QR alphanumeric set, which packs 5.5 bits per character instead of 8, so a typical URL
stays at version 3 with error correction Q (25 % of the symbol may be damaged or dirty and it still reads).
"""

import hashlib
import io
from functools import lru_cache
from xml.sax.saxutils import quoteattr

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q

from tracker.qr.address import public_base_url

# Bump when the images change for the same payload (another ECC level, colours, quiet zone…): new ETags.
RENDERER_VERSION = "1"
QUIET_ZONE = 4  # modules of white around the symbol, as the standard asks
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
# Rendered images kept per worker, by payload (the code and the public address) and size: making the matrix costs
# ~10 ms of pure Python, and an image never changes for its payload. About 3 KB each: a few MB at most.
CACHED_IMAGES = 1024


def payload(code: str) -> str:
    """What the QR of the site with this code encodes: 'HTTPS://CDS.EXAMPLE.GOV.VN/C/7K3M9QXAB2CD'."""
    return (public_base_url() + "/c/" + code).upper()


def matrix(data: str) -> list[list[bool]]:
    """The symbol's modules, row by row (True = dark), without the quiet zone: callers leave QUIET_ZONE modules
    of white around it."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def runs(modules: list[list[bool]]):
    """(x, y, length): each horizontal run of dark modules, so a drawing needs far fewer rectangles than modules."""
    for y, row in enumerate(modules):
        x, size = 0, len(row)
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                yield start, y, x - start
            else:
                x += 1


@lru_cache(maxsize=CACHED_IMAGES)
def svg(data: str) -> bytes:
    """A compact SVG: a white square with the quiet zone and one <path> of the dark modules, one unit per module.

    No XML declaration and no fixed size, so it can be served as a file or embedded in a page and sized by CSS.
    Cached by payload (CACHED_IMAGES): bytes are immutable, so callers share one copy."""
    modules = matrix(data)
    side = len(modules) + 2 * QUIET_ZONE
    path = "".join(f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{n}v1h-{n}z" for x, y, n in runs(modules))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges" '
        f'role="img" aria-label={quoteattr(data)}>'
        f'<rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d="{path}"/></svg>'
    ).encode()


@lru_cache(maxsize=CACHED_IMAGES)
def png(data: str, box_size: int = 10) -> bytes:
    """A black-and-white PNG, `box_size` pixels per module, quiet zone included."""
    modules = matrix(data)
    side = len(modules) + 2 * QUIET_ZONE
    image = Image.new("1", (side, side), 1)
    pixels = image.load()
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + QUIET_ZONE, y + QUIET_ZONE] = 0
    image = image.resize((side * box_size, side * box_size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def etag(code: str, fmt: str) -> str:
    """A strong entity tag (unquoted) for the site's image in this format: it changes with the code, the base URL
    and the renderer, and only then."""
    return _etag(payload(code), fmt)


@lru_cache(maxsize=2 * CACHED_IMAGES)
def _etag(data: str, fmt: str) -> str:
    digest = hashlib.sha256(f"{RENDERER_VERSION}|{fmt}|{data}".encode()).hexdigest()
    return f"qr{RENDERER_VERSION}-{fmt}-{digest[:32]}"
