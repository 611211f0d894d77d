"""BibTeX for papers in the knowledge base. Pure functions: papers in, text out.

arXiv papers follow arXiv's own export form (`@misc` with `eprint`, `archivePrefix`,
`primaryClass`), which biblatex and natbib styles render as "arXiv:2502.10816 [cs.LG]".
Every value is escaped for LaTeX, so a title with `&`, `%` or `_` compiles as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from kb.types import Paper

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))
_VERSION = re.compile(r"v\d+$")
_NEW_ARXIV = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_ARXIV = re.compile(r"^([a-z-]+)(\.[A-Z]{2})?/\d{7}$")
_KEY_STOPWORDS = {"a", "an", "the", "on", "of", "for", "and", "in", "to", "with", "towards", "toward", "via"}


@dataclass(frozen=True)
class BibEntry:
    key: str
    paper_id: str
    text: str


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters; collapse whitespace (titles carry line breaks)."""
    return _SPECIAL.sub(lambda m: _LATEX_SPECIALS[m.group(0)], " ".join(text.split()))


def _author(name: str) -> str:
    """One name, escaped. A name with a standalone "and" or an escaped special in it is
    braced, so every BibTeX reader (bibtexparser's name splitter too) keeps it one author."""
    escaped = latex_escape(name)
    return f"{{{escaped}}}" if "\\" in escaped or re.search(r"(?i)(^|\s)and(\s|$)", escaped) else escaped


def arxiv_eprint(paper: Paper) -> str | None:
    """The version-less arXiv id, or None for papers that are not on arXiv."""
    if paper.id.startswith("sha256:") or paper.source == "local":
        return None
    eprint = _VERSION.sub("", paper.id)
    return eprint if _NEW_ARXIV.match(eprint) or _OLD_ARXIV.match(eprint) else None


def primary_class(paper: Paper, eprint: str) -> str:
    if paper.primary_category:
        return paper.primary_category
    if paper.categories:
        return paper.categories[0]
    old = _OLD_ARXIV.match(eprint)
    return old.group(1) + (old.group(2) or "") if old else ""


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def base_key(paper: Paper) -> str:
    """`<first author's surname><year><first title word>`, ASCII only, e.g. lovelace2025survey."""
    surname = _ascii_word(paper.authors[0].split()[-1]) if paper.authors and paper.authors[0].split() else ""
    year = (paper.published or "")[:4] if (paper.published or "")[:4].isdigit() else ""
    words = [_ascii_word(w) for w in re.findall(r"[\w-]+", paper.title)]
    word = next((w for w in words if w and w not in _KEY_STOPWORDS), "")
    key = f"{surname}{year}{word}"
    return key if surname or word else "paper" + _ascii_word(paper.id)


def entry_for(paper: Paper, key: str) -> BibEntry:
    fields: list[tuple[str, str]] = [("title", latex_escape(paper.title))]
    if names := [_author(a) for a in paper.authors if a.strip()]:
        fields.append(("author", " and ".join(names)))
    if paper.published and paper.published[:4].isdigit():
        fields.append(("year", paper.published[:4]))
    eprint = arxiv_eprint(paper)
    if eprint:
        fields += [("eprint", eprint), ("archivePrefix", "arXiv")]
        if cls := primary_class(paper, eprint):
            fields.append(("primaryClass", cls))
        fields.append(("url", f"https://arxiv.org/abs/{eprint}"))
    elif paper.url:
        fields.append(("url", paper.url))
    if paper.doi:
        fields.append(("doi", latex_escape(paper.doi)))
    if paper.journal_ref:
        fields.append(("note", latex_escape(paper.journal_ref)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return BibEntry(key, paper.id, f"@misc{{{key},\n{body}\n}}\n")


def bibliography(papers: Iterable[Paper]) -> list[BibEntry]:
    """One entry per paper (first occurrence wins), keys made unique with a, b, c…"""
    entries: list[BibEntry] = []
    used: set[str] = set()
    seen: set[str] = set()
    for paper in papers:
        if paper.id in seen:
            continue
        seen.add(paper.id)
        key = base = base_key(paper)
        suffix = 0
        while key in used:
            suffix += 1
            key = f"{base}{_letters(suffix)}"
        used.add(key)
        entries.append(entry_for(paper, key))
    return entries


def _letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def render_bibliography(entries: Iterable[BibEntry]) -> str:
    return "\n".join(e.text for e in entries)
