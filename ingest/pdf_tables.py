"""Tables on a PDF page, found with pymupdf's table finder and written out row by row.

Why: pymupdf's plain text reads a table as loose runs of numbers ("GPT-o1 - 0.058 0.0134 - - -"),
so neither the learner, a small model nor the embedder can tell which number is the precision.
Written as "GPT-o1: Crawler Recall -; Precision 0.058; Recall 0.0134", each row says what its
numbers are, and a question about "GPT-o1's precision" shares words with the row that answers it.

The page object comes from `ingest.pdf` (the only module that imports pymupdf); this module
only calls its methods. Cell text is read with `page.get_text(clip=cell)` rather than the table
finder's own extraction, which drops spaces and puts a decimal point after its digits in some
fonts ("0058\\n." for 0.058).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# "lines" follows the rules a table is drawn with (booktabs); "text" aligns words, for tables
# without inner rules, where "lines" merges whole columns into one cell.
STRATEGIES = ("lines", "text")
# A row is written as header–value pairs only when its values are short, as in a results or
# statistics table; a table of prompts or examples stays as plain lines.
LABELLED_CELL_CHARS = 30


@dataclass
class PageTable:
    page: int  # 1-based
    bbox: tuple[float, float, float, float]  # covers the header row too
    rows: list[list[str]]  # the first row is the header; "" for an empty or spanned cell
    spanned_header: bool = False  # a header cell spans columns (two header levels)

    @property
    def merged(self) -> bool:
        """The finder put several rows into one cell: most body cells hold several lines."""
        cells = [c for row in self.rows[1:] for c in row if c]
        return len(self.rows) < 2 or sum("\n" in c for c in cells) > len(cells) / 2

    def text(self) -> str:
        """The table as lines of text: header–value pairs per row where the header allows it."""
        rows = [[_flat(c) for c in row] for row in self.rows]
        header, body = rows[0], _spread_labels(rows[1:])
        if not self._labelled(header, body):
            return "\n".join(" ".join(c for c in row if c) for row in rows if any(row))
        lines = []
        for row in body:
            pairs = "; ".join(f"{name} {value}" for name, value in zip(header[1:], row[1:], strict=False) if value)
            lines.append(f"{row[0]}: {pairs}" if row[0] else pairs)
        return "\n".join(line for line in lines if line)

    def _labelled(self, header: list[str], body: list[list[str]]) -> bool:
        values = [c for row in body for c in row[1:] if c]
        return (len(header) >= 2 and not self.spanned_header and all(header[1:]) and bool(values)
                and max(len(v) for v in values) <= LABELLED_CELL_CHARS)


def _spread_labels(body: list[list[str]]) -> list[list[str]]:
    """A first-column label spanning several rows ("SER" beside five methods) is read into the
    middle row only; give every row the label nearest to it, so each row still says which
    group it belongs to."""
    labelled = [r for r, row in enumerate(body) if row and row[0]]
    if not labelled or len(labelled) == len(body):
        return body
    out = []
    for r, row in enumerate(body):
        if row and not row[0]:
            nearest = min(labelled, key=lambda s: (abs(s - r), s > r))
            row = [body[nearest][0], *row[1:]]
        out.append(row)
    return out


def _flat(cell: str) -> str:
    return re.sub(r"\s+", " ", cell).strip()


def _cell_text(page: Any, bbox: Any) -> str:
    if bbox is None:
        return ""
    return "\n".join(line.strip() for line in page.get_text("text", clip=bbox).splitlines() if line.strip())


def _read(page: Any, number: int, found: Any) -> PageTable:
    rows = [[_cell_text(page, cell) for cell in row.cells] for row in found.rows]
    header = found.header
    bbox = tuple(found.bbox)
    if header.external:  # the header row sits above the table's top rule
        rows.insert(0, [_cell_text(page, cell) for cell in header.cells])
        hx0, hy0, hx1, hy1 = header.bbox
        bbox = (min(bbox[0], hx0), min(bbox[1], hy0), max(bbox[2], hx1), max(bbox[3], hy1))
    spanned = any(cell is None for cell in header.cells[1:])
    return PageTable(number, (bbox[0], bbox[1], bbox[2], bbox[3]), rows, spanned)


def page_tables(page: Any, number: int) -> list[PageTable]:
    """The tables the finder reads cleanly on this page, by the first strategy that reads
    them all cleanly (else the one that reads the most)."""
    best: list[PageTable] = []
    for strategy in STRATEGIES:
        found = [_read(page, number, t) for t in page.find_tables(strategy=strategy).tables]
        clean = [t for t in found if not t.merged]
        if len(clean) > len(best):
            best = clean
        if found and len(clean) == len(found):
            break
    return best
