"""MuPDF's own messages, kept off stdout and handed to logging and the result.

By default MuPDF prints "MuPDF error: ..." and warnings to stdout while it
repairs a broken file (a bad ICC profile, a broken font, a damaged xref).
stdout carries `docat process --format json`, and the service logs JSON
lines; so importing `jobs.pdf` turns MuPDF's printing off and sends
PyMuPDF's own messages to the "jobs.pdf.mupdf" logger. What MuPDF reported
meanwhile is kept in its warning store; `take_messages` empties it, logs
each distinct message once and returns them, so extraction can attach them
to the page they came from (`PageContent.warnings`).
"""

from __future__ import annotations

import logging

import pymupdf

logger = logging.getLogger("jobs.pdf.mupdf")

# A fuzzed file can repeat one complaint thousands of times: keep a few.
MAX_MESSAGES = 20


def silence_mupdf() -> None:
    """No MuPDF or PyMuPDF message on stdout or stderr; see the module docstring."""
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    pymupdf.set_messages(pylogging=True, pylogging_name=logger.name, pylogging_level=logging.WARNING)


def take_messages() -> list[str]:
    """MuPDF's messages since the last call, distinct, in order, at most MAX_MESSAGES;
    each is logged as a warning."""
    raw = pymupdf.TOOLS.mupdf_warnings(reset=True) or ""
    seen: list[str] = []
    for line in raw.splitlines():
        line = line.strip()
        if line and line not in seen:
            seen.append(line)
            if len(seen) >= MAX_MESSAGES:
                break
    for message in seen:
        logger.warning("MuPDF: %s", message)
    return seen


silence_mupdf()

__all__ = ["MAX_MESSAGES", "silence_mupdf", "take_messages"]
