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


BROKEN_COLUMN = (
    "The harbor master counts the boats and writes",
    "the numbers into the ledger at dawn.",
)
BROKEN_PAGE = (
    "The lantern keeper climbs the tower at dusk and lights",
    "the lamp that guides the boats home.",
)
SPACED = "Letter spaced heading"


def continued_text_pdf(path: Path) -> None:
    """A sentence broken across two columns, one broken across a page break, and a
    letter-spaced line (reportlab's character spacing)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(str(path), pagesize=A4)
    _width, height = A4
    c.saveState()
    t = c.beginText(72, height - 72)
    t.setFont("Helvetica", 12)
    t.setCharSpace(4)
    t.textLine(SPACED)
    c.drawText(t)
    c.restoreState()
    c.setFont("Helvetica", 10)
    # Left column: filler lines, then the first half of the sentence at the foot.
    y = height - 110
    for i in range(8):
        c.drawString(72, y, f"Left column line {i} holds harbor words.")
        y -= 13
    c.drawString(72, y, BROKEN_COLUMN[0])
    # Right column starts with the second half.
    y = height - 110
    c.drawString(320, y, BROKEN_COLUMN[1])
    for i in range(8):
        y -= 13
        c.drawString(320, y, f"Right column line {i} holds ledger words.")
    c.drawString(320, y - 26, BROKEN_PAGE[0][:30])
    c.drawString(320, y - 39, BROKEN_PAGE[0][30:].strip())
    c.showPage()
    c.setFont("Helvetica", 10)
    c.drawString(72, height - 72, BROKEN_PAGE[1])
    c.drawString(72, height - 100, "A new paragraph starts here.")
    c.showPage()
    c.save()


def hygiene_pdf(path: Path) -> None:
    """Ligatures drawn as ligature glyphs, a control character in the text, a NUL in
    the title, and a number with a raised footnote digit, in a paragraph and a table."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("tiro").buffer)
    page.insert_text((72, 100), "The o\ufb03ce \ufb01les are \ufb02at.", fontname="F0", fontsize=11)
    page.insert_text((72, 130), "Bad\x01char here", fontname="helv", fontsize=10)
    y = 170
    for label, value, note in (
        ("Item", "Amount", ""),
        ("Rent", "273.87", "1"),
        ("Food", "9.75", "2"),
        ("Fuel", "83.19", "3"),
    ):
        page.insert_text((72, y), label, fontname="helv", fontsize=10)
        x = 250 - pymupdf.get_text_length(value, fontsize=10)
        page.insert_text((x, y), value, fontname="helv", fontsize=10)
        if note:
            page.insert_text((250.5, y - 4), note, fontname="helv", fontsize=6)
        page.insert_text((320, y), "ok" if note else "Status", fontname="helv", fontsize=10)
        y += 16
    doc.set_metadata({"title": "Harbor Report"})
    doc.save(path)
    doc.close()
    # A NUL in the info dictionary's title, as some producers write it.
    doc = pymupdf.open(path)
    xref = int(doc.xref_get_key(-1, "Info")[1].split()[0])
    doc.xref_set_key(xref, "Title", "(Harbor\\000 Report)")
    doc.saveIncr()


BOLD_HEADINGS = ["Harbor Survey", "Ledger Notes", "Lantern Care"]


def bold_headings_pdf(path: Path, words_per_paragraph: int = 36) -> list[str]:
    """Headings set in bold at the body size, each over a paragraph (Word's "Heading"
    styles restyled, many reports); a bold phrase inside a paragraph is no heading.
    Returns the body paragraphs' first words."""
    styles = getSampleStyleSheet()
    body = styles["Normal"]
    from reportlab.lib.styles import ParagraphStyle

    heading = ParagraphStyle("BoldBody", parent=body, fontName="Helvetica-Bold", spaceBefore=8)
    story = []
    firsts = []
    for n, title in enumerate(BOLD_HEADINGS):
        story.append(Paragraph(title, heading))
        crew = ["The", "crew", "checks", "the", "boats", "and", "writes", "the", "ledger"]
        text = " ".join((crew * 20)[: words_per_paragraph + n])
        story.append(Paragraph(f"{text} with <b>bold words</b> inside.", body))
        firsts.append(text)
    SimpleDocTemplate(str(path)).build(story)
    return firsts
