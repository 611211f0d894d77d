"""Domain types shared by every layer. Plain dataclasses: no engine leaks through them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Paper:
    id: str
    title: str
    source: str  # snapshot | arxiv | local | feed
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    categories: list[str] = field(default_factory=list)
    primary_category: str = ""
    published: str | None = None
    updated: str | None = None
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    venue: str = ""
    url: str = ""
    pdf_url: str = ""
    pdf_path: str = ""
    kind: str = "paper"  # paper | blog
    version: int | None = None
    plan_resource: bool = False
    fulltext: str = "none"  # none | pending | indexed | failed
    fulltext_error: str = ""


@dataclass
class Chunk:
    """A passage of a paper (or note) as stored in SQLite and in the vector store."""

    paper_id: str
    seq: int
    kind: str  # abstract | body | caption | references | note
    text: str
    section: str = ""
    page_first: int | None = None
    page_last: int | None = None
    version: int | None = None

    @property
    def id(self) -> str:
        return chunk_id(self.paper_id, self.version, self.seq)


def chunk_id(paper_id: str, version: int | None, seq: int) -> str:
    return f"{paper_id}:v{version or 0}:{seq}"


@dataclass
class TopicAssignment:
    paper_id: str
    topic: int
    score: float
    method: str  # plan | embedding | llm | user
    reason: str = ""
    confirmed: int = 0  # 1 confirmed by the learner, -1 rejected


@dataclass
class Passage:
    """A retrieved chunk with its paper's title and a retrieval score (higher is better)."""

    chunk: Chunk
    title: str
    score: float


def pages_label(first: int | None, last: int | None) -> str:
    """ "p. 3", "pp. 3–4", or "" when the pages are unknown: how every screen and command names pages."""
    if first is None:
        return ""
    return f"p. {first}" if last in (None, first) else f"pp. {first}–{last}"
