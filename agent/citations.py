"""Citations: the [n] marks a reply makes to the numbered passages it was given, checked as
they stream, placed by shared words when the model makes none, and each resolved to a quote
that is an exact substring of its passage. Shared by Ask and the related-work drafter."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent.reply_checks import CITATION, split_sentences
from agent.reply_checks.reading import REMOVED
from kb.retrieval import Hit, render_english
from kb.terms import has_cjk, terms, tokenize
from kb.types import Passage

NOT_FOUND = "NOT IN SOURCES"
PASSAGE_CHARS = 1200  # per passage in the prompt: six fit the embedded model's 4k context


@dataclass
class Citation:
    n: int
    paper_id: str
    title: str
    section: str
    pages: tuple[int | None, int | None]
    quote: str
    is_note: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "paper_id": self.paper_id, "title": self.title, "section": self.section,
                "pages": list(self.pages), "quote": self.quote}


OPEN_CITATION = re.compile(r"\[[\d\s,，;]*$")  # a marker still arriving: "[1", "[2, "


def _sentinel_head(text: str) -> str:
    """The start of a reply as compared with the sentinel: citation marks (one still open at
    the end too) and punctuation around them left out, since the small model sometimes cites
    the sentinel — "[1] NOT IN SOURCES." is the sentinel too."""
    return OPEN_CITATION.sub("", CITATION.sub("", text)).strip(" \t\n.:-").upper()


# The prompt's own delimiters, which the small model sometimes copies into its reply along with a
# passage's text (u21-08 ended in "</passage>"): never shown.
PASSAGE_TAG = re.compile(r"</?passage\b[^<>]*>")
OPEN_TAG = re.compile(r"</?(?:p(?:a(?:s(?:s(?:a(?:g(?:e(?:\s[^<>]*)?)?)?)?)?)?)?)?$")  # "</pass" still arriving
TAG_CHARS = 120  # a passage tag is at most this long (its source attribute names title and section)


class CitationFilter:
    """Checks [n] markers as text streams through, and drops the prompt's passage tags; holds
    back only the few characters of an unfinished marker or tag (and the start of the answer,
    in case it is the not-found sentinel)."""

    def __init__(self, valid: int) -> None:
        self.valid = valid
        self.pending = ""
        self.started = False
        self.text = ""  # everything emitted, filtered
        self.raw = ""
        self.removed: list[int] = []

    def feed(self, piece: str) -> str:
        self.raw += piece
        self.pending += piece
        out = ""
        if not self.started:
            head = _sentinel_head(self.pending)
            if head.startswith(NOT_FOUND) or NOT_FOUND.startswith(head):
                return ""  # the not-found sentinel, or could still become it: show nothing
            self.started = True
        while self.pending:
            start = min((i for i in (self.pending.find("["), self.pending.find("<")) if i >= 0), default=-1)
            if start < 0:
                out += self.pending
                self.pending = ""
                break
            out += self.pending[:start]
            self.pending = self.pending[start:]
            if self.pending[0] == "<":
                tag = PASSAGE_TAG.match(self.pending)
                if tag:
                    self.pending = self.pending[tag.end():]
                elif len(self.pending) <= TAG_CHARS and OPEN_TAG.match(self.pending):
                    break  # could still become a tag: wait for more text
                else:  # not a passage tag ("l < 1"): let it through
                    out += self.pending[0]
                    self.pending = self.pending[1:]
                continue
            end = self.pending.find("]")
            if end < 0:
                if len(self.pending) > 16:  # not a citation: let it through
                    out += self.pending[0]
                    self.pending = self.pending[1:]
                    continue
                break  # wait for more text
            out += self._check(self.pending[:end + 1])
            self.pending = self.pending[end + 1:]
        self.text += out
        return out

    def close(self) -> str:
        out, self.pending = ("" if OPEN_TAG.match(self.pending) else self.pending), ""
        if not self.started:  # only the sentinel (or a prefix of it) came: the caller refuses
            self.text += out
            return ""
        self.text += out
        return out

    @property
    def not_found(self) -> bool:
        # A reply cut off inside the sentinel counts; one of citation marks only does not (the
        # caller refuses it as "empty", saying so).
        head = _sentinel_head(self.text)
        return head.startswith(NOT_FOUND) or (not self.started and bool(head))

    def _check(self, marker: str) -> str:
        match = CITATION.fullmatch(marker)
        if not match:
            return marker
        out = []
        for part in re.split(r"\s*[,，;]\s*", match.group(1)):
            n = int(part)
            if 1 <= n <= self.valid:
                out.append(f"[{n}]")
            else:
                self.removed.append(n)
                out.append(REMOVED)
        return "".join(dict.fromkeys(out))  # "[citation removed][citation removed]" shown once


# A sentence is matched to a passage only when they share this many words and this share of
# the sentence's words (for a Chinese sentence, its Latin words and its glossary terms'
# English, since the papers are English).
ATTRIBUTE_MIN_SHARED = 2
ATTRIBUTE_MIN_SHARE = 0.3


def attribute(answer: str, passages: Sequence[Passage], glossary: Mapping[str, str] | None = None) -> str:
    """`answer` with [n] after each sentence that shares enough words with passage n (the one
    sharing most), before the sentence's closing punctuation. Sentences matching none stay bare.
    A Chinese sentence counts its Latin words plus the English of its `glossary` terms."""
    passage_terms = [set(terms(f"{p.title} {p.chunk.text}")) for p in passages]
    out, position = [], 0
    for sentence in split_sentences(answer):
        start = answer.find(sentence, position)
        if start < 0:
            continue
        # Whole words are counted: one hyphenated name ("Perron-Frobenius") is one shared word.
        if has_cjk(sentence):
            words = {t for t in terms(render_english(sentence, glossary or {}), parts=False) if t.isascii()}
        else:
            words = set(terms(sentence, parts=False))
        shared = [len(words & pt) for pt in passage_terms]
        best = max(range(len(shared)), key=lambda i: (shared[i], -i), default=None)
        marked = sentence
        if (best is not None and shared[best] >= ATTRIBUTE_MIN_SHARED
                and shared[best] >= ATTRIBUTE_MIN_SHARE * len(words)):
            stem = sentence.rstrip(".!?。！？")
            marked = f"{stem} [{best + 1}]{sentence[len(stem):]}"
        out.append(answer[position:start] + marked)
        position = start + len(sentence)
    return "".join(out) + answer[position:]


def supporting_quote(passage_text: str, claims: Sequence[str], limit: int = 400) -> str:
    """The passage sentence (or table row: each line is its own) sharing most words with the
    answer sentences citing it — an exact substring of the passage, so the learner can find
    it on the page."""
    sentences = [s for line in passage_text.splitlines() for s in split_sentences(line)] or [passage_text]
    claim_tokens = set(tokenize(" ".join(claims)))
    best = max(sentences, key=lambda s: (len(claim_tokens & set(tokenize(s))), -sentences.index(s)))
    if not claim_tokens & set(tokenize(best)):
        best = sentences[0]
    return shorten(best, limit)


def shorten(text: str, limit: int) -> str:
    """`text` cut at the last word that fits `limit`, marked with "…"."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def numbered_passages(hits: Sequence[Hit]) -> str:
    """The passages as the model reads them: numbered, each marked as data and cut to
    PASSAGE_CHARS, its own passage tags defused so a paper cannot close one."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        chunk = hit.passage.chunk
        where = "the learner's own note" if chunk.kind == "note" else (chunk.section or chunk.kind)
        pages = f", p. {chunk.page_first}" if chunk.page_first else ""
        text = chunk.text[:PASSAGE_CHARS].replace("<passage", "‹passage").replace("</passage", "‹/passage")
        blocks.append(f'<passage n="{n}" source="{hit.passage.title} — {where}{pages}">\n{text}\n</passage>')
    return "\n".join(blocks)
