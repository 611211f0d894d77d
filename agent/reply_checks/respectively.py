"""Two numbers given to two things in the wrong order: "DCPE 在默认阅读顺序下和配合 Augmented XY
Cut 之后分别带来 1.5% 和 0.1% 的 F1 提升" (u23-24, shown), where the passage gives 0.1% "in the
default improper reading order" and 1.5% "after Augmented XY Cut"."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.reply_checks.misstated import Misstated
from agent.reply_checks.reading import (
    CITATION,
    around,
    passage_sentences,
    split_sentences,
    stated_at,
    values_in,
)

NUMBER = r"\d+(?:[.,]\d+)*%?"
# Two numbers listed for two things listed before them: "分别带来 1.5% 和 0.1%", "分别为 0.96 和 0.69",
# "0.1% and 1.5%, respectively". A third number listed after them makes it no pair.
PAIRED = re.compile(
    rf"分别[^，。；,;\d]{{0,12}}?(?P<zx>{NUMBER})\s*(?:和|与|及|、|，|,)\s*(?P<zy>{NUMBER})(?!\s*(?:和|与|及|、|，|,)\s*\d)"
    rf"|(?<![\d%],\s)(?<![\d%],)(?<![\d.,])(?P<ex>{NUMBER})\s*(?:,\s*)?and\s+(?P<ey>{NUMBER})(?![\s,]*(?:and\s+)?\d)(?=[^.;]{{0,40}}?\brespectively\b)",
    re.IGNORECASE)
# What joins the two things: the last of these before the numbers splits them.
CLAUSE_MARK = re.compile(r"[，,；;：:]")
JOINED = re.compile(r"\s*(?:以及|和|与|及|、|\band\b)\s*", re.IGNORECASE)


def numbers_given_in_swapped_order(answer: str, sources: Sequence[str],
                                   words: Callable[[str], set[str]]) -> list[Misstated]:
    """The pairs of numbers `answer` gives "respectively" (分别) to two things, where each
    number's passage sentences speak of the other thing and never of its own: the words only
    one of the two things has (`words` reads a Chinese reply's in English) are all absent from
    the sentences stating its number and some are in those stating the other's."""
    sentences = [(s, values_in(s)) for text in sources for s in passage_sentences(text)]
    out: list[Misstated] = []
    for sentence in split_sentences(CITATION.sub(" ", answer)):
        for match in PAIRED.finditer(sentence):
            x, y = (match.group("zx"), match.group("zy")) if match.group("zx") else (match.group("ex"), match.group("ey"))
            things = _two_things(sentence[:match.start()])
            if things is None or values_in(x) & values_in(y):
                continue
            first, second = things
            stating_x = [s for s, values in sentences if values & values_in(x)]
            stating_y = [s for s, values in sentences if values & values_in(y)]
            if not stating_x or not stating_y:
                continue
            first_words, second_words = words(first), words(second)
            if (_speaks_only_of_the_other(first_words - second_words, stating_x, stating_y, words)
                    and _speaks_only_of_the_other(second_words - first_words, stating_y, stating_x, words)):
                for number, stating, other in ((x, stating_x, second), (y, stating_y, first)):
                    out.append(Misstated(number, around(stating[0], *stated_at(stating[0], values_in(number))),
                                         swapped=" ".join(other.split())))
    return out


def _two_things(before: str) -> tuple[str, str] | None:
    """The two things a sentence lists before its numbers, split at the last joining word:
    "DCPE 在默认阅读顺序下" and "配合 Augmented XY Cut 之后", each within its clause."""
    joins = list(JOINED.finditer(before))
    if not joins:
        return None
    last = joins[-1]
    first = CLAUSE_MARK.split(before[:last.start()])[-1]
    second = CLAUSE_MARK.split(before[last.end():])[0]  # "after Augmented XY Cut", not ", DCPE gains"
    return (first, second) if first.strip() and second.strip() else None


def _speaks_only_of_the_other(own_words: set[str], stating_own: Sequence[str], stating_other: Sequence[str],
                              words: Callable[[str], set[str]]) -> bool:
    said_with_own = set().union(*(words(s) for s in stating_own))
    said_with_other = set().union(*(words(s) for s in stating_other))
    return bool(own_words) and not own_words & said_with_own and bool(own_words & said_with_other)
