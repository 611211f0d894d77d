"""How the reply checks read a text: citation marks, sentences, numbers in their forms, names,
what a number counts, and the sentence or clause around a place. Shared by every check."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kb.terms import STOPWORDS, stem

CITATION = re.compile(r"\[(\d{1,3}(?:\s*[,，;]\s*\d{1,3})*)\]")
REMOVED = "[citation removed]"  # what the citation filter shows for a citation the model invented
SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")

# Chinese function characters: a bigram holding one ("的算" in "…的算法") carries no content.
FUNCTION_CHARS = frozenset("的是了在和与及或也都就而被把给对按照为从以于其之这那个些么什吗呢吧啊将并")


def uncited(text: str) -> tuple[str, set[int]]:
    """`text` with each citation mark replaced by a space, and where in the result those spaces are."""
    parts: list[str] = []
    marks: set[int] = set()
    last = length = 0
    for match in CITATION.finditer(text):
        parts += [text[last:match.start()], " "]
        length += match.start() - last
        marks.add(length)
        length += 1
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), marks


def cited_numbers(text: str) -> list[int]:
    """The [n] numbers in `text`, in order of first appearance."""
    seen: dict[int, None] = {}
    for match in CITATION.finditer(text):
        for part in re.split(r"\s*[,，;]\s*", match.group(1)):
            seen.setdefault(int(part), None)
    return list(seen)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


# Names (a capital letter anywhere but a sentence's first word) and numbers in a reply; with
# none of them in the question or the passages, the reply came from the model's memory.
# A number may carry an exponent: "a learning rate of 1e-5" (read as "1" and "e-5" before,
# so a reply's "1e-5" went unchecked, u16-28).
FACT_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?%?|[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")


def exact(value: float) -> float:
    """`value` without float noise (0.8063 × 100 is 80.63000000000001), small ones kept: 1e-7
    is not 0."""
    return float(f"{value:.12g}")


def number_of(token: str) -> float | None:
    try:
        return exact(float(token.rstrip("%").replace(",", "")))
    except ValueError:
        return None


def forms_of(value: float) -> set[float]:
    """A number as stated and as a percentage either way: 0.95 and 95 % are the same fact."""
    return {value, exact(value / 100), exact(value * 100)}


def is_share(token: str) -> bool:
    """A percentage or a decimal: a number that may be stated the other way (0.95, 95%)."""
    return "%" in token or "." in token


def numbers_in(text: str) -> list[str]:
    """The numbers of two or more digits `text` states, as written ("1.5%", "0.7227", "1e-6")."""
    return [t for t in FACT_TOKEN.findall(text)
            if t[0].isdigit() and sum(c.isdigit() for c in t) >= 2 and number_of(t) is not None]


def values_in(text: str) -> set[float]:
    """The values of `numbers_in(text)`, each also as a percentage either way."""
    return {form for token in numbers_in(text) for form in forms_of(number_of(token) or 0.0)}


def stated_at(text: str, values: set[float]) -> tuple[int, int]:
    """Where `text` first states one of `values` (as `values_in` reads a number), for a text
    whose `values_in` meets them."""
    found = next(m for m in FACT_TOKEN.finditer(text) if values_in(m.group()) & values)
    return found.start(), found.end()


def passage_sentences(text: str) -> list[str]:
    """A passage's sentences, each within one line: a table row or a heading is its own line."""
    return [s for line in text.splitlines() for s in split_sentences(line)]


def names_in(text: str) -> list[str]:
    """The names in `text` that tell a dataset or model apart: words of three or more letters
    with a second capital or a digit ("FUNSD", "RealScholarQuery", "GPT-4o"), not "Chinese"."""
    return list(dict.fromkeys(
        t for t in FACT_TOKEN.findall(text)
        if not t[0].isdigit() and len(t) >= 3 and sum(c.isupper() for c in t) + any(c.isdigit() for c in t) >= 2))


def as_word(name: str) -> re.Pattern[str]:
    """`name` as a word, or the end of a hyphenated one ("PaSa-GPT-4o" names "GPT-4o")."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.IGNORECASE)


def mentions(text: str, name: str) -> bool:
    return as_word(name).search(text) is not None


# Where an abbreviation's meaning, or a count's words, run on into the rest of the sentence.
CONNECTIVE = re.compile(r"\s+(?:and|or|while|which|that|where|in|on|for|with|is|are)\b.*", re.IGNORECASE)


# "12,989 个 token", "12,989 tokens", "199 个单词（token）", "12,989 training steps": the words
# a reply counts, after a Chinese measure word, or in brackets after its Chinese name.
COUNTED = re.compile(r"^\s*[个条篇张次块名位项台种份]?\s*(?:[\u4e00-\u9fff]{1,4}\s*[（(]\s*)?"
                     r"([A-Za-z][A-Za-z-]+(?: [A-Za-z][A-Za-z-]+){0,2})")
YEAR = re.compile(r"(?:19|20)\d\d")
NEAR = 80  # at most this many characters either side of a number quoted in a refusal
SENTENCE_BOUND = re.compile(r"[.!?](?=\s|$)|\n")
# Where a clause ends: "A total of 3,011 search session trajectories are generated." counts
# trajectories, though "[Stop] token" ends the sentence before it. Not the comma of "12,989".
# A line ends a clause too: the chunker writes a paragraph, and "total step: Value 250", on one.
CLAUSE_END = re.compile(r"[;()\n]|[,.](?=\s|$)")
REPLY_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？\n]")  # a reply may be Chinese


def enclosing(text: str, start: int, end: int, bound: re.Pattern[str]) -> tuple[int, int]:
    """Where the stretch of `text` holding text[start:end] begins and ends (its closing bound
    included), stretches being separated by `bound`: a sentence, a clause."""
    opened = [m.end() for m in bound.finditer(text, 0, start)]
    closed = bound.search(text, end)
    return opened[-1] if opened else 0, closed.end() if closed else len(text)


def around(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end], cut to NEAR characters either side at a word."""
    first, last = enclosing(text, start, end, SENTENCE_BOUND)
    before = text[max(first, start - NEAR):start]
    if start - NEAR > first:
        before = before.split(" ", 1)[-1]  # not half a word
    after = text[end:min(last, end + NEAR)]
    if end + NEAR < last:
        after = after.rsplit(" ", 1)[0]
    return " ".join(f"{before}{text[start:end]}{after}".split())


def clause_at(text: str, start: int, end: int) -> str:
    """The clause holding text[start:end]: what it says the number counts."""
    first, last = enclosing(text, start, end, CLAUSE_END)
    return text[first:last]


# A fraction, "C = 1/8": one number, not "1" and "8" (single digits, which no check reads).
FRACTION = re.compile(r"(?<![\w/.])(\d+)\s*/\s*(\d+)(?![\w/]|\.\d)")


def value_of(token: str) -> float | None:
    """A stated number's value: "0.5" → 0.5, "1/8" → 0.125; None for a fraction over zero."""
    # Stripped: FRACTION's "\s" takes in control characters ("2\x1e/8") that float() refuses.
    numerator, _, denominator = (part.strip() for part in token.partition("/"))
    if denominator and not float(denominator):
        return None
    return exact(float(numerator) / float(denominator) if denominator else float(numerator))


def fractions_in(text: str) -> Iterator[tuple[re.Match[str], float]]:
    for match in FRACTION.finditer(text):
        if (value := value_of(match.group())) is not None:
            yield match, value


def occurrences_of(prose: str, value: float) -> list[tuple[int, int]]:
    found = [(m.start(), m.end()) for m in FACT_TOKEN.finditer(prose)
             if m.group()[0].isdigit() and (n := number_of(m.group())) is not None and value in forms_of(n)]
    return sorted(found + [(m.start(), m.end()) for m, n in fractions_in(prose) if n == value])


def new_numbers_in(reply: str, question: str) -> Iterator[tuple[re.Match[str], float]]:
    """The numbers of two or more digits, and the fractions, `reply` states that the question
    does not, years and a metric's cutoff ("Recall@100": part of its name) aside, each with its
    value."""
    in_question = values_in(question) | {n for _, n in fractions_in(question)}
    for match in FACT_TOKEN.finditer(reply):
        stated = values_in(match.group()) and number_of(match.group())
        if (stated and stated not in in_question and not YEAR.fullmatch(match.group())
                and not reply[:match.start()].endswith("@")):
            yield match, stated
    for match, stated in fractions_in(reply):
        if stated not in in_question:
            yield match, stated


def nouns_of(text: str) -> list[str]:
    """`text`'s Latin words, lowercased, plurals folded, stopwords kept: "paper" is a thing counted."""
    return [stem(word) for word in re.findall(r"[a-z]+", text.lower())]


def things_in(text: str) -> set[str]:
    """The words of `text` that can name a thing counted: `nouns_of` but stopwords, "paper" kept
    (search leaves it out as a stopword)."""
    return {word for word in nouns_of(text) if word not in STOPWORDS or word == "paper"}


def squashed(text: str) -> str:
    return re.sub(r"[\s-]", "", text).lower()


# A number standing alone: not "1" of "1D", "2" of "2×" or "Table 2(a)", "5" of "0.5".
# Latin letters only: Chinese writes a number against its words ("设成了1").
STANDALONE_NUMBER = re.compile(r"(?<![A-Za-z0-9_.,])\d+(?:\.\d+)?(?![A-Za-z0-9_×(]|[.,]\d)")


def standalone_in(text: str) -> Iterator[tuple[re.Match[str], float]]:
    for match in STANDALONE_NUMBER.finditer(text):
        if (value := number_of(match.group())) is not None:
            yield match, value


def paper_name(title: str) -> str | None:
    """The name a paper's title opens with, "PaSa" in "PaSa: An LLM Agent for Comprehensive
    Academic Paper Search"; None for a title without one (or a note's)."""
    name, colon, _ = title.partition(":")
    name = name.strip()
    return name if colon and len(name.split()) <= 2 and names_in(name) else None
