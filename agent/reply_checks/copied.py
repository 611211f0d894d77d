"""Numbers swapped in a copied sentence: a reply sentence that is a passage's sentence nearly
word for word, but with a number the passage's sentence does not give, and none of those it
does: "The default reading order of DCPE adds 1.5% F1 score improvement on the Chinese subset
of XFUN" over "… in the default improper reading order, DCPE only gains 0.1% F1 score
improvement on the Chinese subset of XFUN" (u22-13, shown: 1.5% is the gain after Augmented
XY Cut, the next sentence's)."""

from __future__ import annotations

from collections.abc import Sequence

from agent.reply_checks.misstated import Misstated
from agent.reply_checks.reading import CITATION, around, numbers_in, passage_sentences, split_sentences, values_in
from kb.terms import terms

# A reply sentence copies a passage sentence when they share this many words and the passage's
# sentence holds this share of the reply sentence's words: a paraphrase shares far fewer.
COPIED_MIN_SHARED = 8
COPIED_MIN_SHARE = 0.8


def _words(text: str) -> set[str]:
    return {t for t in terms(text, parts=False) if not any(c.isdigit() for c in t)}


def swapped_numbers(answer: str, sources: Sequence[str]) -> list[Misstated]:
    """Numbers in `answer` that stand in a sentence copied from a passage in place of that
    sentence's own: the copied sentence states none of the passage sentence's numbers, and this
    one is not among them. A sentence stating one of them as well (a paraphrase joining two
    sentences, "0.1% without and 1.5% with") is left alone."""
    shaped = [(s, _words(s), values) for text in sources for s in passage_sentences(text) if (values := values_in(s))]
    out: list[Misstated] = []
    for sentence in split_sentences(CITATION.sub(" ", answer)):
        stated = numbers_in(sentence)
        words = _words(sentence)
        if not stated or len(words) < COPIED_MIN_SHARED:
            continue
        copied = sorted(((len(shared), s, values) for s, passage_words, values in shaped
                         if len(shared := words & passage_words) >= COPIED_MIN_SHARED
                         and len(shared) >= COPIED_MIN_SHARE * len(words)), key=lambda c: -c[0])
        kept = values_in(sentence)
        if not copied or any(kept & values for _, _, values in copied):
            continue  # a sentence of its own, or one keeping a number of its source
        source = copied[0][1]
        first = numbers_in(source)[0]
        start = source.index(first)
        quoted = around(source, start, start + len(first))
        out.extend(Misstated(number, quoted, copied=", ".join(numbers_in(source))) for number in stated)
    return out
