"""Numbers a reply gives as a value where the passages give only a bound: "the rate is 1" over
"dilation rates l > 1"."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.reply_checks.misstated import Misstated
from agent.reply_checks.reading import CITATION, around, standalone_in

# What makes the number after it a bound rather than a value: "l > 1", "at least 3", "大于 1".
BOUND_BEFORE = re.compile(
    r"(?:[<>≤≥≲≳≪≫]|\b(?:greater|larger|more|less|smaller|fewer|higher|lower)\s+than|\bat\s+(?:least|most)"
    r"|\bexceed(?:s|ing)?|大于|小于|超过|不少于|不超过|不低于|不高于|至少|至多)\s*$",
    re.IGNORECASE)


BOUND_NEAR = 30  # characters before a number searched for what bounds it
# How a reply may say a number is a bound, besides BOUND_BEFORE: generous, since a false match
# only lets the reply through. "over 10", "10+ papers", "10 or more", "10篇以上".
HEDGED_BEFORE = re.compile(r"(?:\b(?:over|above|beyond|under|below|up\s+to|nearly|almost|around|about|"
                           r"approximately|roughly)|[~≈约近逾])\s*$", re.IGNORECASE)
HEDGED_AFTER = re.compile(r"\s*(?:\+|or\s+(?:more|fewer|less|above|below|higher|lower)\b|[个篇条]?(?:以上|以下|多|余))",
                          re.IGNORECASE)


def _bounded(text: str, start: int) -> str | None:
    """The bound ending right before text[start:], "l >" (with the word it bounds when the bound
    is a sign), or None."""
    before = text[max(0, start - BOUND_NEAR):start]
    found = BOUND_BEFORE.search(before)
    if not found:
        return None
    bounded = before[:found.start()].split()[-1:] if found.group()[0] in "<>≤≥≲≳≪≫" else []
    return " ".join([*bounded, found.group().strip()])


def bounds_given_as_values(answer: str, question: str, sources: Sequence[str]) -> list[Misstated]:
    """Numbers, single digits too, that `answer` gives as a value where every passage stating
    them gives only a bound: "膨胀率具体设成了1" over "dilated convolutions with different
    dilation rates l > 1" (u15-29: the paper never gives the rate). A reply stating the bound
    ("l > 1", "大于 1") and numbers the question states are left alone; so is a number any
    passage states once without a bound ("Table 1" lets "1" through: it errs toward answering)."""
    reply = CITATION.sub(" ", answer)
    asked = {value for _, value in standalone_in(question)}
    out = []
    for match, value in standalone_in(reply):
        if (value in asked or _bounded(reply, match.start())
                or HEDGED_BEFORE.search(reply[max(0, match.start() - BOUND_NEAR):match.start()])
                or HEDGED_AFTER.match(reply, match.end())):
            continue
        held = [(text, m, _bounded(text, m.start())) for text in sources for m, v in standalone_in(text) if v == value]
        if held and all(bound for _, _, bound in held):
            text, where, bound = held[0]
            out.append(Misstated(match.group(), around(text, where.start(), where.end()),
                                 bound=f"{bound} {where.group()}"))
    return out
