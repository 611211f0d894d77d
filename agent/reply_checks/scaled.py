"""Numbers a reply gives without the factor its passage multiplies them by: "LayoutReader takes
10.3ms ± 34.1us" over Table 6's "(10.3ms ± 34.1us)*1024" (u23-28, shown in a rerun: the passage
says LayoutReader's time per document is 1024 times that)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.reply_checks.misstated import Misstated
from agent.reply_checks.reading import CITATION, FACT_TOKEN, around, number_of, numbers_in, occurrences_of

# A bracketed group multiplied by a factor: "(10.3ms ± 34.1us)*1024", "(2.1 s) × 16".
FACTORED = re.compile(r"\(([^()]{1,80})\)\s*(?:[*×]|[xX](?=\s*\d))\s*(\d+(?:\.\d+)?)(?![\w.])")


def numbers_missing_their_factor(answer: str, sources: Sequence[str]) -> list[Misstated]:
    """Numbers `answer` states that every passage stating them writes inside a bracketed group
    multiplied by a factor, where the reply states none of those factors: the reply gave a
    part for the whole."""
    reply = CITATION.sub(" ", answer)
    said = {n for t in FACT_TOKEN.findall(reply) if t[0].isdigit() and (n := number_of(t)) is not None}
    out: list[Misstated] = []
    for token in dict.fromkeys(numbers_in(reply)):
        value = number_of(token)
        held = [(text, start, end) for text in sources for start, end in occurrences_of(text, value or 0.0)]
        factors = [_factor(text, start) for text, start, _ in held]
        if held and all(factors) and not {number_of(f) for f in factors if f} & said:
            text, start, end = held[0]
            out.append(Misstated(token, around(text, start, end), factor=factors[0] or ""))
    return out


def _factor(text: str, start: int) -> str | None:
    """The factor multiplying the bracketed group holding text[start], or None."""
    return next((m.group(2) for m in FACTORED.finditer(text) if m.start(1) <= start < m.end(1)), None)
