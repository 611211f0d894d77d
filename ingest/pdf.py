"""PDFs: download (atomic, size-limited, content-checked, allowed hosts only) and parse with
pymupdf into sections with page numbers, figure/table captions and the reference list kept
apart. The only module that imports pymupdf.

Parsing runs in a worker process (`PdfParser`) so a pathological file can be abandoned after
`ingest.pdf_timeout_s` instead of stalling the night's run; the worker is reused between
files because starting one costs more than parsing a typical paper.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import requests

from ingest.arxiv_ids import id_from_stamp
from ingest.http import FetchError, PoliteSession, get_with_retries
from ingest.pdf_tables import PageTable, page_tables
from kb.errors import PaperplanError

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# Raised when parsing changes what a paper's chunks say, so stored PDFs are read again
# (`Ingestor.reread`): 1 = first release; 2 = tables read by pymupdf's table finder, each row
# written with its column headers; 3 = a sub-column the finder puts beside its group's header
# cell is named by the group ("RealScholarQuery Recall").
PARSER_VERSION = 3
MAX_REDIRECTS = 5


# -- errors -------------------------------------------------------------------------------

class PdfError(PaperplanError):
    """A PDF that cannot be used; the message names the file (and page where it matters)."""

    hint = "the rest of the run went on; replace the file, or add a text PDF with `paperplan add PATH`"


class NotAPdf(PdfError):
    pass


class PdfTooLarge(PdfError):
    hint = "raise ingest.pdf_max_mb in your config if you want files this large"


class CorruptPdf(PdfError):
    hint = "the file is damaged: download it again, or open and re-save it in a PDF viewer"


class EncryptedPdf(PdfError):
    hint = "remove the password (e.g. print to a new PDF) and add it again"


class EmptyPdf(PdfError):
    pass


class ImageOnlyPdf(PdfError):
    hint = "the pages are scanned images with no text layer: run OCR on it (e.g. ocrmypdf) and add it again"


class PdfTimeout(PdfError):
    hint = "the file took too long to parse; raise ingest.pdf_timeout_s, or add a simpler copy"


class HostNotAllowed(PdfError):
    hint = "add the host to ingest.allowed_pdf_hosts in your config if you trust it"


# -- the parsed shape ---------------------------------------------------------------------

@dataclass
class Paragraph:
    page: int  # 1-based
    text: str


@dataclass
class Section:
    title: str
    kind: str  # body | references
    paragraphs: list[Paragraph] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


@dataclass
class Caption:
    label: str  # "Figure 3", "Table 1"
    page: int
    text: str


@dataclass
class ParsedPdf:
    path: str
    pages: int
    title: str
    sections: list[Section]
    captions: list[Caption]
    arxiv_id: str | None = None
    version: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def abstract(self) -> str:
        for s in self.sections:
            if s.title.lower().startswith("abstract"):
                return s.text
        return ""

    @property
    def references(self) -> list[Section]:
        return [s for s in self.sections if s.kind == "references"]


# -- download -----------------------------------------------------------------------------

def host_allowed(url: str, allowed_hosts: list[str]) -> bool:
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or not host:
        return False
    return any(host == h.lower() or host.endswith("." + h.lower()) for h in allowed_hosts)


def download_pdf(session: PoliteSession, url: str, dest: Path, *, max_bytes: int,
                 allowed_hosts: list[str], retries: int) -> Path:
    """Download `url` to `dest` atomically: the file appears whole, or not at all."""
    response = None
    for _ in range(MAX_REDIRECTS + 1):
        if not host_allowed(url, allowed_hosts):
            raise HostNotAllowed(f"not downloading {url}: its host is not in ingest.allowed_pdf_hosts")
        # Redirects are followed by hand so every hop is checked against the allowed hosts.
        response = get_with_retries(session, url, retries, stream=True, allow_redirects=False)
        if not response.is_redirect:
            break
        url = urljoin(url, response.headers.get("Location", ""))
        response.close()
    else:
        raise FetchError(f"too many redirects fetching {url}")
    assert response is not None
    with response:
        if response.status_code != 200:
            raise FetchError(f"{url} answered HTTP {response.status_code}")
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > max_bytes:
            raise PdfTooLarge(f"{url} is {declared / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            size = 0
            with open(part, "wb") as out:
                for block in response.iter_content(64 * 1024):
                    if size == 0 and not block.startswith(PDF_MAGIC[: len(block)]):
                        raise NotAPdf(f"{url} did not return a PDF (it starts with {block[:16]!r})")
                    size += len(block)
                    if size > max_bytes:
                        raise PdfTooLarge(f"{url} is over the {max_bytes / 1e6:.0f} MB limit")
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if size < len(PDF_MAGIC):
                raise NotAPdf(f"{url} returned {size} bytes, not a PDF")
            os.replace(part, dest)
        except OSError as exc:  # a full disk: named, and the run goes on with the next paper
            part.unlink(missing_ok=True)
            if isinstance(exc, requests.RequestException):  # requests' errors are OSErrors too
                raise FetchError(f"cannot download {url}: {type(exc).__name__}") from exc
            raise _disk_error(url, dest, exc) from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    return dest


def _disk_error(src: object, dest: Path, exc: OSError) -> PdfError:
    return PdfError(f"cannot write {src} to {dest.parent}: {exc.strerror or exc}",
                    hint="free some disk space (or check the data dir is writable); the next run retries")


def check_pdf_file(path: Path, max_bytes: int) -> None:
    """Cheap checks before parsing: exists, size limit, PDF magic bytes."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise PdfError(f"cannot read {path}: {exc.strerror}", hint="check the path and its permissions") from exc
    if size == 0:
        raise EmptyPdf(f"{path} is an empty file (0 bytes)")
    if size > max_bytes:
        raise PdfTooLarge(f"{path} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    if PDF_MAGIC not in head:
        raise NotAPdf(f"{path} is not a PDF (it starts with {head[:16]!r})",
                      hint="only PDF files can be added")


def atomic_copy(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(src, part)
        os.replace(part, dest)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise _disk_error(src, dest, exc) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return dest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- parsing ------------------------------------------------------------------------------

KNOWN_SECTIONS = re.compile(
    r"^(abstract|introduction|related work|background|preliminaries|method|methods|methodology|approach|"
    r"experiments?|experimental setup|results|evaluation|discussion|analysis|limitations|conclusions?|"
    r"future work|references|bibliography|acknowledge?ments?|appendix|appendices|supplementary material)\b",
    re.IGNORECASE,
)
NUMBER_PREFIX = re.compile(r"^(?:\d+(?:\.\d+){0,3}\.?|[IVX]{1,5}\.|[A-H](?:\.\d+)*\.?)\s+")
NUMBERED_HEADING = re.compile(NUMBER_PREFIX.pattern + r"\S")
REFERENCES_HEADING = re.compile(r"^(?:\d+\.?\s*|[IVX]+\.\s*)?(references|bibliography|参考文献)\s*$", re.IGNORECASE)
APPENDIX_HEADING = re.compile(r"^(?:appendix|appendices|supplementary|[A-H](?:\.\d+)*\.?\s+[A-Z])", re.IGNORECASE)
CAPTION = re.compile(r"^(?P<label>(?P<what>Figure|Fig\.|Table|Tab\.)\s*(?:\d+|[IVX]+))\s*[:.|]", re.IGNORECASE)
ABSTRACT_INLINE = re.compile(r"^(abstract)\s*[—–:.-]\s*(?P<rest>.+)$", re.IGNORECASE | re.DOTALL)
PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d{1,4}\s*$", re.IGNORECASE)

TEXT_FLAGS = 0  # no images, no ligature/whitespace preservation: plain text of each span


@dataclass
class _Line:
    text: str
    size: float
    bold: bool


@dataclass
class _Block:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    lines: list[_Line]


def parse_pdf(path: Path | str) -> ParsedPdf:
    """Parse a PDF in this process. Raises a PdfError subclass naming the file (and page)."""
    import pymupdf

    path = Path(path)
    try:
        doc = pymupdf.open(path)
    except Exception as exc:  # pymupdf raises FileDataError, RuntimeError, …
        raise CorruptPdf(f"{path} is not a readable PDF: {exc}") from exc
    with doc:
        if doc.needs_pass and not doc.authenticate(""):
            raise EncryptedPdf(f"{path} is password-protected")
        if doc.page_count == 0:
            raise CorruptPdf(f"{path} has no readable pages (damaged or cut off)")
        blocks: list[_Block] = []
        stamp_text = ""
        warnings: list[str] = []
        images_seen = 0
        heights: dict[int, float] = {}
        tables: list[PageTable] = []
        for index in range(doc.page_count):
            number = index + 1
            try:
                page = doc.load_page(index)
                data = page.get_text("dict", flags=TEXT_FLAGS)
                images_seen += len(page.get_images())
            except Exception as exc:
                warnings.append(f"{path}: page {number} is unreadable and was skipped ({exc})")
                continue
            heights[number] = float(page.rect.height)
            page_blocks, rotated = _page_blocks(data, number, float(page.rect.width))
            blocks.extend(page_blocks)
            if any(_table_caption(b.lines[0].text) for b in page_blocks):
                try:  # only pages with a table caption: the finder costs ~0.7 s a page
                    tables.extend(page_tables(page, number))
                except Exception as exc:  # its cells then come from the text blocks (_table_bodies)
                    warnings.append(f"{path}: page {number}: the table finder failed ({exc}); "
                                    f"the table was read as plain text")
            if number == 1:
                stamp_text = rotated + "\n" + " ".join(ln.text for b in page_blocks for ln in b.lines)
            elif number == 2 and not stamp_text.strip():
                stamp_text = rotated
        if not any(ln.text.strip() for b in blocks for ln in b.lines):
            if images_seen:
                raise ImageOnlyPdf(f"{path} has no text layer: its {doc.page_count} page(s) are images "
                                   f"(page 1 has no extractable text)")
            raise EmptyPdf(f"{path} has no text on any of its {doc.page_count} page(s)")
        page_count = doc.page_count
        meta_title = (doc.metadata or {}).get("title") or ""
    blocks = _drop_running_lines(blocks, heights)
    body_size = _body_font_size(blocks)
    title = _title(blocks, body_size, heights.get(1, 792.0)) or _usable_meta_title(meta_title) or path.stem
    sections, captions = _structure(blocks, body_size, title, tables)
    stamp = id_from_stamp(stamp_text)
    return ParsedPdf(path=str(path), pages=page_count, title=title, sections=sections, captions=captions,
                     arxiv_id=stamp[0] if stamp else None, version=stamp[1] if stamp else None,
                     warnings=warnings)


def _page_blocks(data: dict[str, Any], page: int, width: float) -> tuple[list[_Block], str]:
    """Text blocks of one page in reading order (two columns: left then right, band by band)."""
    blocks: list[_Block] = []
    rotated: list[str] = []
    for raw in data.get("blocks", []):
        if raw.get("type") != 0:
            continue
        lines: list[_Line] = []
        last_y = -1e9
        for line in raw.get("lines", []):
            text = "".join(span.get("text", "") for span in line.get("spans", [])).strip()
            if not text:
                continue
            dx, dy = line.get("dir", (1, 0))
            if abs(dy) > 0.1 or dx < 0.9:  # vertical text: arXiv's margin stamp, rotated labels
                rotated.append(text)
                continue
            spans = [s for s in line["spans"] if s.get("text", "").strip()]
            size = round(max((float(s.get("size", 0)) for s in spans), default=0.0), 1)
            bold = all(int(s.get("flags", 0)) & 16 or "bold" in str(s.get("font", "")).lower() for s in spans)
            y = float(line.get("bbox", (0, 0, 0, 0))[1])
            if lines and abs(y - last_y) < 1.5:  # one visual line split at a wide gap ("1" | "Introduction")
                prev = lines[-1]
                lines[-1] = _Line(f"{prev.text} {text}", max(prev.size, size), prev.bold and bool(bold))
            else:
                lines.append(_Line(text, size, bool(bold)))
            last_y = y
        if lines:
            x0, y0, x1, y1 = raw["bbox"]
            blocks.append(_Block(page, x0, y0, x1, y1, lines))
    return _reading_order(blocks, width), "\n".join(rotated)


def _reading_order(blocks: list[_Block], width: float) -> list[_Block]:
    mid = width / 2
    left = [b for b in blocks if b.x1 <= mid + 12]
    right = [b for b in blocks if b.x0 >= mid - 12 and b not in left]
    if len(left) < 2 or len(right) < 2:  # one column
        return sorted(blocks, key=lambda b: (round(b.y0), b.x0))
    full = sorted((b for b in blocks if b not in left and b not in right), key=lambda b: b.y0)
    ordered: list[_Block] = []
    top = -1e9
    for bound in [*full, None]:
        bottom = bound.y0 if bound else 1e9
        ordered += sorted((b for b in left if top <= b.y0 < bottom), key=lambda b: b.y0)
        ordered += sorted((b for b in right if top <= b.y0 < bottom), key=lambda b: b.y0)
        if bound:
            ordered.append(bound)
            top = bound.y0
    return ordered


def _drop_running_lines(blocks: list[_Block], heights: dict[int, float]) -> list[_Block]:
    """Running headers/footers (the same line in the margin of many pages) and page numbers."""
    pages = len(heights) or 1

    def in_margin(b: _Block) -> bool:
        h = heights.get(b.page, 792.0)
        return b.y1 < 0.08 * h or b.y0 > 0.92 * h

    def key(text: str) -> str:
        return re.sub(r"\d+", "#", text.lower()).strip()

    counts = Counter(key(ln.text) for b in blocks if in_margin(b) for ln in b.lines)
    repeated = {k for k, n in counts.items() if n >= max(3, pages // 2)}
    out = []
    for b in blocks:
        if in_margin(b):
            b.lines = [ln for ln in b.lines if key(ln.text) not in repeated and not PAGE_NUMBER.match(ln.text)]
        if b.lines:
            out.append(b)
    return out


def _body_font_size(blocks: list[_Block]) -> float:
    sizes: Counter[float] = Counter()
    for b in blocks:
        for ln in b.lines:
            sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _title(blocks: list[_Block], body_size: float, page_height: float) -> str:
    # The top of page 1: a figure lower down may use a bigger font than the title.
    first = [b for b in blocks if b.page == 1 and b.y0 < 0.3 * page_height]
    if not first:
        return ""
    biggest = max(ln.size for b in first for ln in b.lines)
    if biggest < body_size + 1.5:
        return ""
    lines = [ln.text for b in first for ln in b.lines if ln.size >= biggest - 0.3]
    return re.sub(r"\s+", " ", " ".join(lines[:4])).strip()[:300]


def _usable_meta_title(title: str) -> str:
    title = title.strip()
    if len(title) < 8 or re.match(r"^(microsoft word|untitled|\S+\.(docx?|tex|dvi|pdf)$)", title, re.IGNORECASE):
        return ""
    return title


SPECIAL_SECTIONS = re.compile(
    r"^(abstract|references|bibliography|acknowledge?ments?|appendix|appendices|supplementary material)\b",
    re.IGNORECASE)


def _heading_candidate(line: _Line, block: _Block, body_size: float) -> bool:
    """Short, set apart (its own block or a block's first line), bigger or bold."""
    text = line.text.strip()
    words = text.split()
    if not words or len(text) > 90 or len(words) > 12 or CAPTION.match(text) or text.endswith((",", ";", ":")):
        return False
    styled = line.size >= body_size + 0.8 or line.bold
    return styled and (len(block.lines) <= 2 or block.lines[0] is line)


def _numbered(text: str) -> bool:
    return bool(NUMBERED_HEADING.match(text)) and any(c.isalpha() for c in text) and not text.endswith(".")


def _is_heading(line: _Line, block: _Block, body_size: float, in_references: bool, doc_numbered: bool) -> bool:
    text = line.text.strip()
    if REFERENCES_HEADING.match(text) and (line.size >= body_size or line.bold):
        return True
    if not _heading_candidate(line, block, body_size):
        return False
    if in_references:
        return bool(APPENDIX_HEADING.match(text))
    if _numbered(text):
        return True
    name = NUMBER_PREFIX.sub("", text)
    # In a paper that numbers its sections, an unnumbered bold "Method" is a table header.
    return bool(SPECIAL_SECTIONS.match(name)) or (not doc_numbered and bool(KNOWN_SECTIONS.match(name)))


def _join(lines: list[str]) -> str:
    """Lines of a block as one paragraph, undoing end-of-line hyphenation."""
    out = ""
    for text in lines:
        hyphenated = out.endswith("-") and text[:1].islower()
        out = out[:-1] + text if hyphenated else f"{out} {text}"
    return re.sub(r"\s+", " ", out).strip()


# A table's cells: a block whose text is at least 8 % digits, or whose lines average at most
# 25 characters ("Name Value", "α (Equation 1) 1.5"). Prose next to a table is neither.
TABLE_DIGITS, TABLE_LINE_CHARS, TABLE_MAX_BLOCKS = 0.08, 25, 8


def _tabular(block: _Block, joined: str) -> bool:
    digits = sum(c.isdigit() for c in joined) / max(1, len(joined))
    mean_line = sum(len(ln.text.strip()) for ln in block.lines) / len(block.lines)
    return digits >= TABLE_DIGITS or mean_line <= TABLE_LINE_CHARS


def _table_caption(text: str) -> bool:
    label = CAPTION.match(text.strip())
    return label is not None and label.group("what").lower().startswith("tab")


# A found table belongs to a caption right above or below it, on the side the paper puts its
# table captions (most papers: below the table; some styles: above).
TABLE_CAPTION_GAP = 30.0


def _table_gaps(caption: _Block, tables: list[PageTable]) -> dict[str, list[tuple[float, int]]]:
    """Tables next to a caption by side ("above", "below" the caption), nearest first."""
    sides: dict[str, list[tuple[float, int]]] = {"above": [], "below": []}
    for k, table in enumerate(tables):
        x0, y0, x1, y1 = table.bbox
        if table.page != caption.page or min(x1, caption.x1) - max(x0, caption.x0) <= 0:
            continue
        if 0 <= caption.y0 - y1 + 2 <= TABLE_CAPTION_GAP:
            sides["above"].append((caption.y0 - y1, k))
        elif 0 <= y0 - caption.y1 + 2 <= TABLE_CAPTION_GAP:
            sides["below"].append((y0 - caption.y1, k))
    return {side: sorted(found) for side, found in sides.items()}


def _match_tables(blocks: list[_Block], captions: list[int], tables: list[PageTable]) -> dict[int, int]:
    """Caption block index → index of the found table it captions. A caption between two
    tables is resolved by the paper's habit: the side that captions with one neighbour use."""
    gaps = {i: _table_gaps(blocks[i], tables) for i in captions}
    votes = Counter(side for g in gaps.values() for side in g if g[side] and not g["above" if side == "below" else "below"])
    habit = "below" if votes["below"] > votes["above"] else "above"
    matched: dict[int, int] = {}
    for side in (habit, "above" if habit == "below" else "below"):
        for i in captions:
            free = [k for _, k in gaps[i][side] if k not in matched.values()]
            if i not in matched and free:
                matched[i] = free[0]
    return matched


def _inside(block: _Block, bbox: tuple[float, float, float, float]) -> bool:
    x, y = (block.x0 + block.x1) / 2, (block.y0 + block.y1) / 2
    return bbox[0] - 2 <= x <= bbox[2] + 2 and bbox[1] - 2 <= y <= bbox[3] + 2


def _table_bodies(blocks: list[_Block], texts: list[str], body_size: float,
                  tables: list[PageTable]) -> dict[int, tuple[str, list[int]]]:
    """For each table caption (by block index), its cells as text and the blocks they replace.

    Why: pymupdf reads a table as loose runs of numbers that land in the middle of a prose
    chunk, while its caption ("Table 4. F1 scores … reading orders") becomes a chunk of its
    own, so neither answers "what F1 does LayoutXLM get with θ = 10?". Kept together, the
    caption says what the numbers are. The table finder's table next to the caption is used
    when there is one (rows written out with their headers); else the run of tabular blocks
    on its page just before the caption (the caption below the table), else just after."""
    bodies: dict[int, tuple[str, list[int]]] = {}
    taken: set[int] = set()
    captions = [i for i, text in enumerate(texts) if _table_caption(text)]
    for i, k in _match_tables(blocks, captions, tables).items():
        run = [j for j, b in enumerate(blocks) if b.page == blocks[i].page and j not in taken
               and not CAPTION.match(texts[j]) and _inside(b, tables[k].bbox)]
        bodies[i] = (tables[k].text(), run)
        taken.update(run)
    for i in captions:
        if i in bodies:
            continue
        for step in (-1, 1):
            run = []
            j = i + step
            while (0 <= j < len(blocks) and len(run) < TABLE_MAX_BLOCKS and j not in taken
                   and blocks[j].page == blocks[i].page and not CAPTION.match(texts[j])
                   and not _heading_candidate(blocks[j].lines[0], blocks[j], body_size)  # "4.2 Crawler"
                   and _tabular(blocks[j], texts[j])):
                run.append(j)
                j += step
            if run:
                run.sort()
                bodies[i] = ("\n".join(texts[j] for j in run), run)
                taken.update(run)
                break
    return bodies


def _structure(blocks: list[_Block], body_size: float, title: str,
               tables: list[PageTable]) -> tuple[list[Section], list[Caption]]:
    sections: list[Section] = [Section("Front matter", "body")]
    captions: list[Caption] = []
    texts = [_join([ln.text for ln in b.lines]) for b in blocks]
    bodies = _table_bodies(blocks, texts, body_size, tables)
    in_table = {j for _, run in bodies.values() for j in run}
    in_references = False
    title_words = set(title.lower().split())
    doc_numbered = sum(1 for b in blocks for ln in b.lines[:1]
                       if _numbered(ln.text.strip()) and _heading_candidate(ln, b, body_size)) >= 2
    for i, b in enumerate(blocks):
        first = b.lines[0]
        if b.page == 1 and first.size > body_size + 1.5 and set(first.text.lower().split()) <= title_words:
            continue  # the title itself
        if i in in_table:
            continue  # read with its caption
        joined = texts[i]
        caption = CAPTION.match(joined)
        if caption:
            what = "Figure" if caption.group("what").lower().startswith("fig") else "Table"
            number = caption.group("label")[len(caption.group("what")):].strip()
            cells = bodies[i][0] if i in bodies else ""
            captions.append(Caption(f"{what} {number}", b.page, f"{joined}\n{cells}" if cells else joined))
            continue
        inline = ABSTRACT_INLINE.match(joined) if not sections[-1].paragraphs or len(sections) <= 2 else None
        if inline and len(joined) > 40:
            sections.append(Section("Abstract", "body", [Paragraph(b.page, inline.group("rest").strip())]))
            continue
        rest = b.lines
        if _is_heading(first, b, body_size, in_references, doc_numbered):
            heading = first.text.strip()
            rest = b.lines[1:]
            if REFERENCES_HEADING.match(heading):
                in_references = True
                kind = "references"
            elif in_references and APPENDIX_HEADING.match(heading):
                in_references = False
                kind = "body"
            else:
                kind = "references" if in_references else "body"
            sections.append(Section(heading, kind))
        if rest:
            sections[-1].paragraphs.append(Paragraph(b.page, _join([ln.text for ln in rest])))
    return [s for s in sections if s.paragraphs], captions


# -- parsing with a time limit ------------------------------------------------------------

def _worker_main(conn: Any) -> None:
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):  # the parent went away: so do we
            return
        try:
            conn.send(("ok", parse_pdf(path)))
        except PdfError as exc:
            conn.send(("error", type(exc).__name__, str(exc)))
        except Exception as exc:
            conn.send(("error", "CorruptPdf", f"{path}: cannot parse: {type(exc).__name__}: {exc}"))


_ERRORS: dict[str, type[PdfError]] = {cls.__name__: cls for cls in (
    PdfError, NotAPdf, PdfTooLarge, CorruptPdf, EncryptedPdf, EmptyPdf, ImageOnlyPdf, PdfTimeout)}


class PdfParser:
    """Parses PDFs in a reusable worker process; a parse over `timeout_s` kills the worker."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._process: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        # spawn, not fork: the parent may hold threads (torch, chroma) that fork would copy mid-lock.
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_worker_main, args=(child,), daemon=True, name="paperplan-pdf")
        self._process.start()
        child.close()
        self._conn = parent

    def warm(self) -> None:
        """Start the worker now, so its start-up overlaps a download instead of a parse."""
        if self._process is None or not self._process.is_alive():
            self._start()

    def parse(self, path: Path) -> ParsedPdf:
        self.warm()
        self._conn.send(str(path))
        if not self._conn.poll(self.timeout_s):
            self.close()
            raise PdfTimeout(f"{path}: parsing took over {self.timeout_s:g} s and was abandoned")
        try:
            reply = self._conn.recv()
        except (EOFError, OSError) as exc:  # the worker died (e.g. a crash inside the PDF library)
            self.close()
            raise CorruptPdf(f"{path}: the PDF parser stopped while reading it") from exc
        if reply[0] == "ok":
            return reply[1]  # type: ignore[no-any-return]
        raise _ERRORS.get(reply[1], PdfError)(reply[2])

    def close(self) -> None:
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
            self._process = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> PdfParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
