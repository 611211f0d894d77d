"""What a question counts and what a number counts: "how many relevant papers" is not answered
by a passage's "76 candidate papers", nor "how many steps" by "12,989 training data"."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from agent.reply_checks.reading import COUNTED, FUNCTION_CHARS, nouns_of, things_in
from kb.retrieval import render_english, unrendered
from kb.terms import STOPWORDS, terms

# What a question counts: "how many candidate papers did …", "多少篇相关论文"; of "多少篇经标注确认的
# 相关论文" the head after "的", "相关论文" (u23-30), its qualifier being among the question's words.
ASKS_COUNT = re.compile(r"\bhow\s+many\s+((?:[A-Za-z][\w-]*\s+){0,2}[A-Za-z][\w-]*)"
                        r"|多少\s*[个条篇张次块名位项台种份]?\s*(?:([\u4e00-\u9fff]{1,8}?)的)?([\u4e00-\u9fff]{1,6})",
                        re.IGNORECASE)


class CountAsked(NamedTuple):
    words: str  # what the question asks the number of, in its words: "relevant papers", "相关论文"
    kind: set[str]  # the English words naming that thing: {"related", "relevant", "paper"}
    said: set[str]  # every English word the question says


def count_asked(question: str, glossary: Mapping[str, str]) -> CountAsked | None:
    """What `question` counts: "relevant papers" of "how many relevant papers were annotated",
    "相关论文" of "多少篇相关论文", read once for every number of a reply. None where it asks no
    count, or counts in Chinese words the glossary does not all know ("候选论文")."""
    asks = ASKS_COUNT.search(question)
    if not asks:
        return None
    if asks.group(3):
        asked, qualifier = asks.group(3), asks.group(2) or ""
        if set(unrendered(asked, glossary)) - FUNCTION_CHARS:
            return None
        kind = things_in(render_english(asked, glossary))
        if set(unrendered(qualifier, glossary)) - FUNCTION_CHARS and len(kind) < 2:
            # "完整标注的表单": a qualifier the glossary does not know may be the passage's own
            # ("1393 fully annotated forms"); "经标注确认的相关论文" still says which papers.
            return None
    else:
        words = asks.group(1).split()
        while len(words) > 1 and not things_in(words[-1]):
            words.pop()  # "were", "did": the question's verb
        asked = " ".join(words)
    return CountAsked(asked, things_in(render_english(asked, glossary)), set(nouns_of(render_english(question, glossary))))


def counted_instead(text: str, end: int, asked: CountAsked) -> bool:
    """Whether the passage's number ending at `end` counts the kind of thing the question
    counts, qualified by a word the question does not say: "review 76 candidate papers" for
    "多少篇相关论文" (u19-15, whose reply was the bare "76")."""
    counted = COUNTED.match(text[end:])
    if not counted:
        return False
    before: list[str] = []
    for word in nouns_of(counted.group(1)):
        if word in asked.kind:  # the thing counted ("papers"): a word before it qualifies it
            return any(w not in asked.said and w not in STOPWORDS for w in before)
        before.append(word)
    return False


def counted_as(after: str, asked: set[str]) -> tuple[str, set[str]] | None:
    """What the number before `after` counts, as far as the question asks about it: the words
    after it while each is a term of the question, and their terms. "12,989 training steps were
    run" counts "training steps" for "how many steps were run in PPO training" (u18-01, over
    "12,989 training data"), where "training" alone is what the passage counts too."""
    counted = COUNTED.match(after)
    if not counted:
        return None
    words: list[str] = []
    unit: set[str] = set()
    for word in counted.group(1).split(" "):
        # "expand-session trajectories" counts what "9,978 expand session trajectories" does.
        named = set(terms(word.replace("-", " ")))
        if not named or not named <= asked:
            break
        words.append(word)
        unit |= named
    return (" ".join(words), unit) if unit else None
