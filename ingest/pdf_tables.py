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
from collections import Counter
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
        header, body = self._header_and_body()
        if header is None or not _short_values(body):
            return "\n".join(" ".join(_flat(c) for c in row if c) for row in self.rows if any(row))
        lines = []
        # The label column is named only where its name says what the label is ("DCPE Text
        # Conv2d"); a plain "Method" or "Name" adds nothing.
        named = self.spanned_header and " " in header[0]
        for row in _spread_labels(body):
            pairs = "; ".join(f"{name} {value}" for name, value in zip(header[1:], row[1:], strict=False) if value)
            label = f"{header[0]} {row[0]}" if named and row[0] else row[0]
            lines.append(f"{label}: {pairs}" if label else pairs)
        return "\n".join(line for line in lines if line)

    def _header_and_body(self) -> tuple[list[str] | None, list[list[str]]]:
        """Column names and body rows; names None when the header cannot be read for sure.

        A two-level header is read in the two shapes the finder gives it: a second header
        row under cells spanning columns ("DCPE" over "Text | Image"), or one spanning cell
        holding the group and its sub-columns as lines ("SER / ZH / ES" over two columns)."""
        top = self.rows[0]
        body = [[_flat(c) for c in row] for row in self.rows[1:]]
        if not self.spanned_header:
            names = [_flat(c) for c in top]
            return (names if len(names) >= 2 and all(names[1:]) else None), body
        if len(body) >= 2 and all(c and not _numeric(c) for c in body[0][1:]):
            group = _flat(top[0])
            names = [f"{group} {body[0][0]}".strip()]
            for c in range(1, len(top)):
                group = _flat(top[c]) or group
                names.append(f"{group} {body[0][c]}".strip())
            return names, body[1:]
        names = [_flat(top[0])]
        repeated = {name for name, count in Counter(map(_flat, top)).items() if name and count > 1}
        group = ""
        c = 1
        while c < len(top):
            width = 1 + next((n for n, cell in enumerate(top[c + 1:]) if cell), len(top) - c - 1)
            lines = [ln.strip() for ln in top[c].splitlines() if ln.strip()]
            if width == 1 and len(lines) >= 1:
                # A sub-column the finder put beside its group's cell ("AutoScholarQuery / Crawler
                # Recall / Precision" then "Recall", the same again for RealScholarQuery): a name
                # that follows each group belongs to it; one said once ("Avg.") stands alone.
                name = " ".join(lines)
                names.append(f"{group} {name}" if group and name in repeated else name)
            elif len(lines) == width + 1:
                group = lines[0]
                names += [f"{group} {sub}" for sub in lines[1:]]
            elif len(lines) == 2 and len(lines[1].split()) == width:
                group = lines[0]
                names += [f"{group} {sub}" for sub in lines[1].split()]
            else:
                return None, body
            c += width
        return names, body


def _numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d.,]+%?|-", cell.strip()))


def _short_values(body: list[list[str]]) -> bool:
    values = [c for row in body for c in row[1:] if c]
    return bool(values) and max(len(v) for v in values) <= LABELLED_CELL_CHARS


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
