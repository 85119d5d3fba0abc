"""The serif the PDF is set in: Liberation Serif 2 (SIL OFL 1.1, static/fonts/, Vietnamese included), whose metrics
are Times New Roman's, so a line measured here is as long in Word."""

from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONTS = Path(__file__).resolve().parents[3] / "static" / "fonts"  # the project's static/, beside tracker/
FAMILY = "LiberationSerif"
FACES = {
    (False, False): ("LiberationSerif", "LiberationSerif-Regular.ttf"),
    (True, False): ("LiberationSerif-Bold", "LiberationSerif-Bold.ttf"),
    (False, True): ("LiberationSerif-Italic", "LiberationSerif-Italic.ttf"),
    (True, True): ("LiberationSerif-BoldItalic", "LiberationSerif-BoldItalic.ttf"),
}


@cache
def register() -> str:
    """Register the four faces once per process (and the family, for <b> and <i> in paragraphs); the family."""
    for (bold, italic), (name, file) in FACES.items():
        pdfmetrics.registerFont(TTFont(name, FONTS / file))
        addMapping(FAMILY, int(bold), int(italic), name)
    return FAMILY


def face(bold: bool = False, italic: bool = False) -> str:
    register()
    return FACES[(bold, italic)][0]


def width_mm(text: str, size: float, bold: bool = False, italic: bool = False) -> float:
    return pdfmetrics.stringWidth(text, face(bold, italic), size) / mm
