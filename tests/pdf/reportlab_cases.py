"""Small PDFs drawn with reportlab (platypus and the canvas), each for one way real
producers lay text out that PyMuPDF's own drawing in generate.py does not show."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

LIST_INTRO = "Before the trip the crew checks the boat."
BULLETED = [
    "Check the anchor chain before every trip and again after it, because chains wear where nobody looks",
    "Keep the lantern glass clean",
    "Store the compass away from iron",
]
NUMBERED = ["Untie the stern line", "Raise the anchor slowly", "Steer out of the harbor past the beacon"]
LIST_OUTRO = "After the trip the crew writes the log."


def lists_pdf(path: Path) -> None:
    """A bulleted list (14 pt bullets beside 10 pt text) and a numbered one, as
    platypus draws them: each marker a string of its own at its own x."""
    styles = getSampleStyleSheet()
    body = styles["Normal"]
    story = [
        Paragraph(LIST_INTRO, body),
        ListFlowable(
            [ListItem(Paragraph(t, body)) for t in BULLETED],
            bulletType="bullet",
            start="\u2022",
            bulletFontSize=14,
        ),
        ListFlowable([ListItem(Paragraph(t, body)) for t in NUMBERED], bulletType="1"),
        Paragraph(LIST_OUTRO, body),
    ]
    SimpleDocTemplate(str(path)).build(story)
