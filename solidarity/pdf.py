"""A small PDF writer for text documents in Korean (the year-end statement, donation receipts).

No PDF library is in the lock file, and a statement needs only lines of text: this writes
PDF 1.4 by hand with the standard Korean CID font ``HYGoThic-Medium`` (Adobe-Korea1, encoding
``UniKS-UCS2-H``), which PDF readers supply themselves, so nothing is embedded and the file
stays a few kilobytes. Text is written as UTF-16BE hex strings (each Hangul syllable and ASCII
character is one UCS-2 code). A4 pages, 40 lines each; pages are added as the lines need.
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56
LINE_HEIGHT = 18
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LINE_HEIGHT


def _hex(text: str) -> str:
    # Outside the Basic Multilingual Plane (never in our texts) becomes a question mark.
    safe = "".join(ch if ord(ch) <= 0xFFFF else "?" for ch in text)
    return safe.encode("utf-16-be").hex().upper()


def _page_stream(lines: Sequence[tuple[str, int]]) -> bytes:
    parts = ["BT"]
    y = PAGE_HEIGHT - MARGIN
    for text, size in lines:
        parts.append(f"/F1 {size} Tf 1 0 0 1 {MARGIN} {y} Tm <{_hex(text)}> Tj")
        y -= LINE_HEIGHT if size <= 11 else LINE_HEIGHT + 6
    parts.append("ET")
    return "\n".join(parts).encode("ascii")


def pdf_document(*, title: str, lines: Sequence[str | tuple[str, int]]) -> bytes:
    """A PDF of ``lines`` (a string, or ``(text, font size)``; default 10 pt), titled ``title``."""
    items = [(line, 10) if isinstance(line, str) else line for line in lines]
    pages = [items[i : i + LINES_PER_PAGE] for i in range(0, len(items), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled below, once the pages object's number is known
    pages_id = add(b"")
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /HYGoThic-Medium /Encoding /UniKS-UCS2-H"
        b" /DescendantFonts [" + str(len(objects) + 2).encode() + b" 0 R] >>"
    )
    add(
        b"<< /Type /FontDescriptor /FontName /HYGoThic-Medium /Flags 6"
        b" /FontBBox [-6 -145 1003 880] /ItalicAngle 0 /Ascent 880 /Descent -120"
        b" /CapHeight 880 /StemV 93 >>"
    )
    add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HYGoThic-Medium"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Korea1) /Supplement 1 >>"
        b" /FontDescriptor " + str(font + 1).encode() + b" 0 R /DW 1000 /W [1 [500] 8094 [500]] >>"
    )
    kids = []
    for page_lines in pages:
        stream = _page_stream(page_lines)
        content = add(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
        kids.append(
            add(
                b"<< /Type /Page /Parent " + str(pages_id).encode() + b" 0 R"
                b" /MediaBox [0 0 " + f"{PAGE_WIDTH} {PAGE_HEIGHT}".encode() + b"]"
                b" /Resources << /Font << /F1 " + str(font).encode() + b" 0 R >> >>"
                b" /Contents " + str(content).encode() + b" 0 R >>"
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages " + str(pages_id).encode() + b" 0 R >>"
    objects[pages_id - 1] = (
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{k} 0 R".encode() for k in kids)
        + b"] /Count "
        + str(len(kids)).encode()
        + b" >>"
    )
    info = add(b"<< /Title <FEFF" + _hex(title).encode() + b"> /Producer (Jeonju Prepay) >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
