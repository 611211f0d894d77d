"""Which papers a question names, and what it asks once their names are set aside.

"What is the upper critical dimension for coupled nodes on the Bethe lattice?" names the paper
*Quantum Criticality for Extended Nodes on a Bethe Lattice…*. Inside that paper the words of
its title are in nearly every passage, yet BM25 weighs them like any rare word, so the paper's
passages get ranked by "Bethe" and "lattice" instead of by "upper critical dimension". The
retriever therefore adds one more ranking: the question without the title's words, scored over
the named paper's passages only (kb.retrieval).

A word names a paper when it is written like a name — inner capitals or digits (PaSa,
XYLayoutLM, GPT-4o), a capital letter mid-sentence (Bethe), or any Latin word in a Chinese
question — and the titles of at most `MAX_OWNERS` papers hold it. A word in many titles
("Transformer") is a field's term, not a paper's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kb.terms import has_cjk, terms

MAX_OWNERS = 3
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-+]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+)$")


def name_words(question: str) -> set[str]:
    """The search terms of the words in `question` that are written like names."""
    chinese = has_cjk(question)
    found: set[str] = set()
    for match in _WORD.finditer(question):
        word = match.group(0).rstrip(".-+")
        starts_sentence = bool(_SENTENCE_START.search(question[:match.start()]))
        if (chinese or any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word)
                or (word[:1].isupper() and not starts_sentence)):
            found.update(terms(word))
    return found


def without_terms(text: str, dropped: set[str]) -> str:
    """`text` less each word whose search terms are all in `dropped` (case and plurals folded)."""
    kept = []
    for word in text.split():
        word_terms = set(terms(word))
        if not word_terms or not word_terms <= dropped:
            kept.append(word)
    return " ".join(kept)


@dataclass(frozen=True)
class TitleIndex:
    """The search terms of each paper's title, and the papers each term belongs to."""

    title_terms: dict[str, frozenset[str]]
    owners: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, titles: Mapping[str, str]) -> TitleIndex:
        title_terms = {pid: frozenset(terms(title)) for pid, title in titles.items() if title}
        owners: dict[str, list[str]] = {}
        for pid, words in sorted(title_terms.items()):
            for word in words:
                owners.setdefault(word, []).append(pid)
        return cls(title_terms, {w: tuple(p) for w, p in owners.items()})

    def named(self, question: str) -> set[str]:
        """The papers `question` names (usually none, or one)."""
        papers: set[str] = set()
        for word in name_words(question):
            owners = self.owners.get(word, ())
            if len(owners) <= MAX_OWNERS:
                papers.update(owners)
        return papers

    def focused(self, query: str, papers: set[str]) -> str:
        """`query` without the words of the named papers' titles: what it asks of them."""
        dropped: set[str] = set()
        for pid in papers:
            dropped |= self.title_terms.get(pid, frozenset())
        return without_terms(query, dropped)
