"""Narrowing arXiv's daily listings to what the plan is about (pure).

A paper is interesting when its title or abstract names one of the plan's topic keywords or
English topic titles, or one of the learner's own `keywords_include`, and none of
`keywords_exclude`. Acronyms (CLIP, ViT, VQA) match case-sensitively: "clip" in running text
is usually a video clip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb.plan import Plan
from kb.types import Paper


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    parts = []
    for term in sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in term.split())
        acronym = sum(c.isupper() for c in term) >= 2 and " " not in term
        parts.append(body if acronym else f"(?i:{body})")
    if not parts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


def plan_terms(plan: Plan) -> list[str]:
    terms: list[str] = []
    for topic in plan.topics:
        terms.extend(topic.keywords)
        if topic.title_en:
            terms.append(topic.title_en)
    return terms


class KeywordFilter:
    def __init__(self, include: Iterable[str], exclude: Iterable[str] = ()) -> None:
        self._include = _pattern(include)
        self._exclude = _pattern(exclude)

    @classmethod
    def for_plan(cls, plan: Plan, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> KeywordFilter:
        return cls([*plan_terms(plan), *include], exclude)

    def matches(self, paper: Paper) -> bool:
        text = f"{paper.title}\n{paper.abstract}"
        if self._exclude is not None and self._exclude.search(text):
            return False
        return self._include is not None and bool(self._include.search(text))
