"""PDFs that are cheap to send and costly to process, written byte by byte (no library would).

    many_pages(60_000)     ~1.5 MB: one page object listed 60,000 times in the page tree
    image_bomb(16_384)     ~1 MB: one page drawing a 16,384 x 16,384 grey image of zeros (268 MP)

MuPDF refuses a page count above the number of xref entries, so the many-pages
file pads its xref table with free entries (20 bytes each).
"""

from __future__ import annotations

import zlib


def write_pdf(objects: list[bytes], xref_size: int = 0) -> bytes:
    """Objects 1..n (bodies without `obj`/`endobj`), a classic xref table of `xref_size` entries."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    start = len(out)
    size = max(xref_size, len(objects) + 1)
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += b"0000000000 00000 f \n" * (size - len(objects) - 1)
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return dictionary.replace(b">>", b" /Length %d >>" % len(data), 1) + b"\nstream\n" + data + b"\nendstream"


def many_pages(count: int) -> bytes:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
    return write_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Count %d /Kids [" % count + b"3 0 R " * count + b"] >>",
            page,
            _stream(b"<< >>", b"BT /F1 12 Tf 72 720 Td (the same page again) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        xref_size=count + 10,
    )


def image_bomb(side: int) -> bytes:
    """One page showing a `side` x `side` 8-bit grey image of zeros, Flate-compressed."""
    compressor = zlib.compressobj(1)
    rows = bytes(side * 64)
    data = b"".join(compressor.compress(rows) for _ in range(side // 64)) + compressor.flush()
    image = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray " % (side, side)
    image += b"/BitsPerComponent 8 /Filter /FlateDecode >>"
    return write_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >> "
            b"/Contents 4 0 R >>",
            _stream(b"<< >>", b"q 500 0 0 700 50 50 cm /Im1 Do Q"),
            _stream(image, data),
        ]
    )
