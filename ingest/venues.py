"""Venue tags read from an arXiv paper's comment and journal-ref fields (pure functions).

Authors write "Accepted to CVPR 2024", "NeurIPS 2023 (spotlight)", "Proc. of ACL-IJCNLP
2021"…; the plan asks the learner to follow the top venues, so we tag the ones we know.
"""

from __future__ import annotations

import re

# Canonical name → spellings (word-bounded, case-insensitive). Order matters only for output.
VENUES: dict[str, tuple[str, ...]] = {
    "CVPR": ("CVPR", r"Computer Vision and Pattern Recognition"),
    "ICCV": ("ICCV", r"International Conference on Computer Vision"),
    "ECCV": ("ECCV", r"European Conference on Computer Vision"),
    "NeurIPS": ("NeurIPS", "NIPS", r"Neural Information Processing Systems"),
    "ICLR": ("ICLR", r"International Conference on Learning Representations"),
    "ICML": ("ICML", r"International Conference on Machine Learning"),
    "ACL": ("ACL",),
    "EMNLP": ("EMNLP", r"Empirical Methods in Natural Language Processing"),
    "NAACL": ("NAACL",),
    "COLING": ("COLING",),
    "AAAI": ("AAAI",),
    "IJCAI": ("IJCAI",),
    "ACM MM": (r"ACM\s*MM", r"ACM Multimedia", r"ACMMM"),
    "WACV": ("WACV",),
    "BMVC": ("BMVC",),
    "ICASSP": ("ICASSP",),
    "Interspeech": ("Interspeech",),
    "SIGIR": ("SIGIR",),
    "KDD": ("KDD",),
    "TPAMI": ("TPAMI", r"Pattern Analysis and Machine Intelligence"),
    "IJCV": ("IJCV", r"International Journal of Computer Vision"),
    "TMLR": ("TMLR", r"Transactions on Machine Learning Research"),
    "JMLR": ("JMLR", r"Journal of Machine Learning Research"),
}

# Word-bounded but letting a year or a dash follow ("CVPR2024", "ACL-IJCNLP").
_PATTERNS = [
    (name, re.compile(r"(?<![A-Za-z])(?:" + "|".join(spellings) + r")(?![a-z])", re.IGNORECASE))
    for name, spellings in VENUES.items()
]
_CASE_SENSITIVE = {"ACL", "KDD"}  # "acl" or "kdd" in running text is rarely the venue
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)|(?<![\d'])'(\d{2})(?!\d)")
_REJECTED = re.compile(r"\b(?:reject(?:ed)?|not accepted|withdrawn|submitted to|under review)\b", re.IGNORECASE)


def venue_tags(comment: str | None, journal_ref: str | None) -> list[str]:
    """The known venues named in the comment or journal-ref, each once, in a stable order.

    A comment that says the paper is under review or was submitted somewhere does not make it
    a paper of that venue.
    """
    found: list[str] = []
    for text in (journal_ref or "", comment or ""):
        if not text or _REJECTED.search(text):
            continue
        for name, pattern in _PATTERNS:
            for match in pattern.finditer(text):
                if name in _CASE_SENSITIVE and match.group(0) != match.group(0).upper():
                    continue
                if name not in found:
                    found.append(name)
                break
    return found


def venue_of(comment: str | None, journal_ref: str | None) -> str:
    """One display string, e.g. "CVPR 2024" or "NeurIPS"; '' when no known venue is named."""
    tags = venue_tags(comment, journal_ref)
    if not tags:
        return ""
    year = _year(journal_ref or "") or _year(comment or "")
    return f"{tags[0]} {year}" if year and len(tags) == 1 else ", ".join(tags)


def _year(text: str) -> str:
    match = _YEAR.search(text)
    if not match:
        return ""
    return f"20{match.group(1)}" if match.group(1) else match.group(0)
