"""arXiv identifiers: pure parsing, no network (new style 2501.10120v2, old style hep-th/9901001v1)."""

from __future__ import annotations

import re

from kb.notes import safe_file_stem as notes_file_stem

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID = re.compile(rf"^(?:arxiv:)?(?P<id>{_NEW}|{_OLD})(?:v(?P<version>\d+))?$", re.IGNORECASE)
# The stamp arXiv prints down the left margin of page 1: "arXiv:2501.10120v1 [cs.IR] 20 Jan 2025".
STAMP = re.compile(rf"arXiv:\s*(?P<id>{_NEW}|{_OLD})(?:v(?P<version>\d+))?", re.IGNORECASE)
# A file named after its arXiv id: "2501.10120.pdf", "2501.10120v2_pasa.pdf", "hep-th_9901001v1.pdf".
FILE_NAME = re.compile(rf"^(?P<id>{_NEW}|[a-z][a-z\-]*(?:\.[A-Z]{{2}})?[_/]\d{{7}})(?:v(?P<version>\d+))?(?:$|[^\d])",
                       re.IGNORECASE)


def split_id(text: str) -> tuple[str, int | None] | None:
    """'2501.10120v2' → ('2501.10120', 2); 'arXiv:hep-th/9901001' → ('hep-th/9901001', None); junk → None."""
    match = ARXIV_ID.match(text.strip())
    if not match:
        return None
    version = match.group("version")
    return _normalise(match.group("id")), int(version) if version else None


def id_from_stamp(text: str) -> tuple[str, int | None] | None:
    match = STAMP.search(text)
    if not match:
        return None
    version = match.group("version")
    return _normalise(match.group("id")), int(version) if version else None


def id_from_file_name(stem: str) -> tuple[str, int | None] | None:
    match = FILE_NAME.match(stem)
    if not match:
        return None
    version = match.group("version")
    raw = match.group("id")
    if "_" in raw and not re.match(_NEW, raw):
        raw = raw.replace("_", "/")  # file names cannot hold the old style's slash
    return _normalise(raw), int(version) if version else None


def _normalise(raw: str) -> str:
    # Old-style archive names are lower case ("hep-th"), their subject class upper ("math.GT").
    if "/" in raw:
        archive, number = raw.split("/", 1)
        head, _, subject = archive.partition(".")
        return f"{head.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    return raw


def safe_file_stem(paper_id: str, version: int | None = None) -> str:
    """A file name for a paper's PDF: no slashes or colons, version kept when known.

    The same mapping as the notes vault's (ids like '.' or '../x' get a hashed name), so
    a paper's files are named alike everywhere and nothing escapes its folder.
    """
    stem = notes_file_stem(paper_id)
    return f"{stem}v{version}" if version else stem
