"""Section-aware chunks for the vector index, with langchain-text-splitters.

Each section is split on its own (a chunk never straddles two sections), so every chunk can
say which section and which pages it came from. Captions are one chunk each (with a table's
cells, split when long); the reference
list is chunked apart (kind 'references') so retrieval can leave it out.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from ingest.pdf import ParsedPdf, Section
from kb.types import Chunk

# all-MiniLM-L6-v2 reads at most 256 word pieces (~1000 characters of English): longer
# chunks would be cut silently by the embedder.
CHUNK_CHARS = 1000
CHUNK_OVERLAP = 120
REFERENCE_CHUNK_CHARS = 1500
FIRST_FULLTEXT_SEQ = 1  # seq 0 is the title+abstract chunk


def _splitter(size: int, overlap: int) -> Any:
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # deferred: imports langchain-core

    return RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, add_start_index=True,
                                          keep_separator="end",
                                          separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""])


def _section_chunks(section: Section, splitter: Any) -> list[tuple[str, int, int]]:
    """(text, first page, last page) for each piece of one section."""
    starts: list[int] = []
    pages: list[int] = []
    offset = 0
    for p in section.paragraphs:
        starts.append(offset)
        pages.append(p.page)
        offset += len(p.text) + 2  # the "\n\n" joining paragraphs
    out = []
    for doc in splitter.create_documents([section.text]):
        start = int(doc.metadata.get("start_index", 0))
        end = start + len(doc.page_content) - 1
        first = pages[max(bisect_right(starts, max(start, 0)) - 1, 0)]
        last = pages[max(bisect_right(starts, end) - 1, 0)]
        out.append((doc.page_content, first, last))
    return out


def chunk_pdf(paper_id: str, version: int | None, parsed: ParsedPdf) -> list[Chunk]:
    """Body, caption and reference chunks of a parsed PDF, numbered from 1 in reading order."""
    body = _splitter(CHUNK_CHARS, CHUNK_OVERLAP)
    refs = _splitter(REFERENCE_CHUNK_CHARS, 0)
    chunks: list[Chunk] = []
    seq = FIRST_FULLTEXT_SEQ
    for section in parsed.sections:
        kind = "references" if section.kind == "references" else "body"
        for text, first, last in _section_chunks(section, refs if kind == "references" else body):
            chunks.append(Chunk(paper_id=paper_id, seq=seq, kind=kind, text=text, section=section.title,
                                page_first=first, page_last=last, version=version))
            seq += 1
    for caption in parsed.captions:
        # A table's caption carries its cells (ingest.pdf): a long table is split like a
        # section, each piece headed by the caption's first line so it still says what it is.
        pieces = [caption.text]
        if len(caption.text) > CHUNK_CHARS * 2:
            head, _, cells = caption.text.partition("\n")
            pieces = [f"{head}\n{piece}" for piece in body.split_text(cells)] if cells else body.split_text(head)
        for text in pieces:
            chunks.append(Chunk(paper_id=paper_id, seq=seq, kind="caption", text=text, section=caption.label,
                                page_first=caption.page, page_last=caption.page, version=version))
            seq += 1
    return chunks
