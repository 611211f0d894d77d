"""What a model's reply is checked for before it is shown as an answer.

The reply is read back against the passages the model was given: its [n] marks and
sentences, a reply that only restates the question or says the passages are silent, names and
numbers no passage holds (they came from the model's memory), a table cell read from the wrong
row or column, and a number taken for something its passage does not say it is (a gain read
as a score, a count of training examples read as tokens). Pure functions of text, so each is
tested on its own; `agent.ask` decides what the learner sees.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from kb.retrieval import render_english, unrendered
from kb.tables import TABLE_ROW
from kb.terms import STOPWORDS, stem, terms

CITATION = re.compile(r"\[(\d{1,3}(?:\s*[,，;]\s*\d{1,3})*)\]")
SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


# A reply that opens by saying, in its own words, that the passages hold no answer ("… is not
# directly stated in the given passages") instead of the sentinel the prompt asks for.
SAYS_ABSENT = re.compile(
    r"\b(?:is|are|was|were)\s+not\s+(?:\w+ly\s+)?(?:stated|mentioned|given|provided|specified|discussed|"
    r"described|reported|found|included|addressed)\b"
    r"|\b(?:passages?|sources?|context|texts?|excerpts?)\s+(?:do|does|did)\s*(?:not|n't)\s+"
    r"(?:\w+ly\s+)?(?:contain|mention|state|provide|specify|say|give|include|discuss|address)\b"
    r"|\bno\s+(?:information|mention|details?)\s+(?:about|on|of|regarding)\b"
    r"|(?:没有|未|并未|并没有)(?:直接|明确)?(?:提及|提到|给出|说明|涉及|包含|指出|列出)|没有(?:相关)?信息",
    re.IGNORECASE)
# Chinese function characters: a bigram holding one ("的算" in "…的算法") carries no content.
FUNCTION_CHARS = frozenset("的是了在和与及或也都就而被把给对按照为从以于其之这那个些么什吗呢吧啊将并")


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


def _exact(value: float) -> float:
    """`value` without float noise (0.8063 × 100 is 80.63000000000001), small ones kept: 1e-7
    is not 0."""
    return float(f"{value:.12g}")


def _number(token: str) -> float | None:
    try:
        return _exact(float(token.rstrip("%").replace(",", "")))
    except ValueError:
        return None


def _forms(value: float) -> set[float]:
    """A number as stated and as a percentage either way: 0.95 and 95 % are the same fact."""
    return {value, _exact(value / 100), _exact(value * 100)}


def _is_share(token: str) -> bool:
    """A percentage or a decimal: a number that may be stated the other way (0.95, 95%)."""
    return "%" in token or "." in token


# What may open a sentence before its first word: a list item's bullet or bold, "**Model
# complexity**: …" (u17-23, a right answer refused for "Model" and "Domain-specific").
ITEM_MARKS = " \t\n*_#>•·-–—"


def unsupported_facts(answer: str, question: str, sources: Sequence[str]) -> list[str]:
    """Names and numbers in `answer` that neither `question` nor any of `sources` holds —
    "LayoutParser is released under the MIT License" over passages that never name a licence.
    A number counts as held in another form too (0.85 for 85 %, 5,000 for 5000); small
    numbers (one digit), two-letter words ("AI", "F1") and a sentence's first word are not
    checked."""
    held = " ".join([question, *sources])
    # Hyphens aside: a name the PDF broke at a line end ("RealScholar-\nQuery") comes back from
    # the model as "RealScholar-Query" (u12-11, refused though the question says RealScholarQuery).
    joined = re.sub(r"-\s*\n\s*", "", held)
    words = {t.lower().replace("-", "") for t in FACT_TOKEN.findall(joined) if not t[0].isdigit()}
    numbers = {n: _is_share(t) for t in FACT_TOKEN.findall(held) if t[0].isdigit() and (n := _number(t)) is not None}
    numbers.update({value: True for _, value in _fractions(held)})  # "C = 1/8" holds 0.125
    # 95 % is held as 0.95 and 0.95 as 95 %; but a whole number is not a share of anything:
    # "100 个预训练模型" is not held by a list's "1." (a reply LayoutParser's passage let through).
    as_shares = {form for n, share in numbers.items() if share for form in _forms(n)}

    def is_held(token: str, value: float) -> bool:
        return value in numbers or value in as_shares or (_is_share(token) and bool(_forms(value) & numbers.keys()))

    reply = CITATION.sub(" ", answer)
    # "0.8335 against DocFormer's 0.8334, higher by 0.0001" (u17-16): a difference of two numbers
    # the reply states, each held, is worked out from the sources, not remembered.
    stated = {value for t in FACT_TOKEN.findall(reply)
              if t[0].isdigit() and (value := _number(t)) is not None and is_held(t, value)}
    differences = {form for a in stated for b in stated if a > b for form in _forms(_exact(a - b))}
    out: list[str] = []
    for sentence in split_sentences(reply):
        for token in FACT_TOKEN.findall(sentence):
            if token[0].isdigit():
                value = _number(token)
                if (value is None or sum(c.isdigit() for c in token) < 2 or is_held(token, value)
                        or value in differences):
                    continue
            elif (len(token) <= 2 or not any(c.isupper() for c in token) or token.lower().replace("-", "") in words
                  or sentence.lstrip(ITEM_MARKS).startswith(token)):
                continue
            if token not in out:
                out.append(token)
    # "1/8" is one number, not the digits 1 and 8, which the test above passes: u18-20's "C 通常
    # 取值为 1/8", where no passage given states it.
    for match, value in _fractions(reply):
        if not is_held(match.group(), value) and match.group() not in out and not set(match.groups()) & set(out):
            out.append(match.group())
    # "g_c = 2": a one-digit value escapes the number test above, but an equation the reply
    # states must be one a passage (or the question) states, written alike (u9-29's "g_c = 2
    # for d = 2", where the paper gives g_c only as an integral).
    written = _equations_text(held)
    for match in EQUATION.finditer(CITATION.sub(" ", answer)):
        if (not _writes(written, _equation(match))
                and not _set_by(question, match.group(1), match.group(2)) and match.group() not in out):
            out.append(match.group())
    # The same in words: "g_c 的具体数值是 1/8" (u19-20), "膨胀率 l 设为 5" (u19-30), where the
    # paper gives g_c only as an integral and l only as "l > 1". Words are looser than "=", so a
    # passage holding the symbol and the value anywhere (a table of "reward coefficient α" with
    # a row "0.5: …") holds the statement.
    for match in STATED_VALUE.finditer(answer):  # not across a citation mark: the refusal quotes it
        symbol, said = match.groups()
        if (not _writes(written, re.sub(r"[_{}]", "", symbol) + "=" + said)
                and not _set_by(question, symbol, said) and not any(_holds_both(s, symbol, said) for s in sources)
                and match.group() not in out):
            out.append(match.group())
    return out


GREEK_NAMES = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "η": "eta", "θ": "theta",
               "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "ρ": "rho", "σ": "sigma", "τ": "tau",
               "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega"}


def _set_by(question: str, symbol: str, value: str) -> bool:
    """True when the question itself gives `symbol` this value, in words too: "θ raised to 10",
    "when theta is 10" — the reply's "θ = 10" then restates the setting asked about."""
    names = [re.escape(symbol), *([GREEK_NAMES[symbol]] if symbol in GREEK_NAMES else [])]
    return re.search(rf"(?<![\w.])(?:{'|'.join(names)})\b.{{0,30}}?(?<![\w.]){re.escape(value)}(?![\w.]*\d)",
                     question, re.IGNORECASE) is not None


# An equation giving a symbol a number: "g_c = 2", "ν = 1", "C = 1/8", "θ = 10".
_SYMBOL, _VALUE = r"[A-Za-z\u0370-\u03ff][\w′'{}]{0,5}", r"-?\d+(?:\.\d+)?(?:/\d+)?"
EQUATION = re.compile(rf"(?<![\w.])({_SYMBOL})\s*=\s*({_VALUE})(?![\d.]*\d)")

# A reply stating a symbol's value in words: "g_c 的具体数值是 1/8", "l 设为 5", "α was 0.5". The
# symbol is one letter, subscripted or not, so "the rate is 5" states nothing here.
_LETTER_SYMBOL = r"(?:[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?|[\u0370-\u03ff][A-Za-z0-9′]{0,2})"
STATED_VALUE = re.compile(
    rf"(?<![A-Za-z0-9_.\\-])({_LETTER_SYMBOL})\s*(?:的\s*)?(?:具体)?(?:数值|取值|值)?\s*"
    rf"(?:是|为|设为|设成了?|等于|取为?|取值为|is(?:\s+set\s+to)?|was(?:\s+set\s+to)?|equals)\s*"
    rf"({_VALUE})(?![\d.]*\d|[A-Za-z])")
EQUATION_LABEL = re.compile(r"\(\d+\)")  # "(5)": an equation's number, not a value


def _writes(written: str, equation: str) -> bool:
    """True when `written` (an `_equations_text`) holds `equation` ("gc=2"), not "gc=2.5"."""
    return re.search(rf"(?<![\w.]){re.escape(equation)}(?![\w.]*\d)", written) is not None


def _value_of(token: str) -> float | None:
    """A stated number's value: "0.5" → 0.5, "1/8" → 0.125; None for a fraction over zero."""
    # Stripped: FRACTION's "\s" takes in control characters ("2\x1e/8") that float() refuses.
    numerator, _, denominator = (part.strip() for part in token.partition("/"))
    if denominator and not float(denominator):
        return None
    return _exact(float(numerator) / float(denominator) if denominator else float(numerator))


def _holds_both(source: str, symbol: str, value: str) -> bool:
    """True when `source` states the symbol (as a word, its subscript marks aside, or a Greek
    letter's name) and the number, anywhere."""
    text = EQUATION_LABEL.sub(" ", source)
    bare = re.sub(r"[_{}]", "", symbol)
    names = [re.escape(bare), *([GREEK_NAMES[bare]] if bare in GREEK_NAMES else [])]
    has_symbol = re.search(rf"(?<![A-Za-z0-9\\])(?:{'|'.join(names)})(?![A-Za-z0-9])", re.sub(r"[_{}]", "", text))
    stated = _value_of(value)
    return (bool(has_symbol) and stated is not None
            and stated in {v for _, v in [*_standalone(text), *_fractions(text)]})  # 1/8 or 0.1250


def _symbol(match: re.Match[str]) -> str:
    """An equation's symbol without subscript marks: "g_c" → "gc"."""
    return re.sub(r"[_{}]", "", match.group(1))


def _equation(match: re.Match[str]) -> str:
    """An equation as `_equations_text` writes it: "g_c = 2" → "gc=2"."""
    return _symbol(match) + "=" + match.group(2)


# Symbols set as a list, "we set the hyper-parameter λx, λy, θ as 0.5, 0.5, 5" (u18-02, whose
# right "λx = 0.5, λy = 0.5, and θ = 5" was refused), "(α, β) = (1, 2)".
LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
LISTED_SETTINGS = re.compile(
    rf"(?<![\w.])\(?({_SYMBOL}(?:(?:{LIST_SEPARATOR.pattern}){_SYMBOL})+)\)?\s*(?:as|to|=|are|be|of|:)\s*"
    rf"\(?({_VALUE}(?:(?:{LIST_SEPARATOR.pattern}){_VALUE})+)\)?(?![\d.]*\d)")


# The same list split over two sentences: "three thresholds: λx, λy, θ. … we set hyper-parameters
# as 0.5, 0.5, 5 by default" (u20-11, whose right "λx = 0.5, λy = 0.5, θ = 5" was refused). The
# symbols here are letters (a Greek one with a mark), so a list of words ("SER and RE") names none.
LISTED_SYMBOLS = re.compile(
    rf"(?<![\w.])({_LETTER_SYMBOL}(?:(?:{LIST_SEPARATOR.pattern}){_LETTER_SYMBOL})+)(?!\w|\.\w)")
LISTED_VALUES = re.compile(
    rf"\b(?:as|to|are|be|of)\s+\(?({_VALUE}(?:(?:{LIST_SEPARATOR.pattern}){_VALUE})+)\)?(?![\d.]*\d)")


def _listed_settings(text: str) -> Iterator[tuple[str, str]]:
    """Each symbol a passage sets as a list and its value, by place: "λx, λy, θ as 0.5, 0.5, 5"
    in one phrase, or a list of values set after the passage last listed as many symbols."""
    for match in LISTED_SETTINGS.finditer(text):
        symbols, values = (LIST_SEPARATOR.split(group) for group in match.groups())
        if len(symbols) == len(values):
            yield from zip(symbols, values, strict=True)
    for match in LISTED_VALUES.finditer(text):
        values = LIST_SEPARATOR.split(match.group(1))
        lists = [LIST_SEPARATOR.split(m.group(1)) for m in LISTED_SYMBOLS.finditer(text, 0, match.start())]
        if lists and len(lists[-1]) == len(values):
            yield from zip(lists[-1], values, strict=True)


def _equations_text(text: str) -> str:
    """`text` with spaces around "=" and the "_", "{", "}" of subscripts left out, so "g_c = 2"
    and "gc=2" read alike; symbols a passage sets as a list ("λx, λy, θ as 0.5, 0.5, 5") are
    added as one equation each ("λx=0.5 λy=0.5 θ=5")."""
    listed = [f"{symbol}={value}" for symbol, value in _listed_settings(text)]
    return re.sub(r"\s*=\s*", "=", re.sub(r"[_{}]", "", " ".join([text, *listed])))


CELL = re.compile(r"^(?P<header>.*?)\s+(?P<value>\(?[-+]?\d.*)$")  # "(10.3ms ± 34.1us)*1024" is a value too


@dataclass(frozen=True)
class TableCell:
    row: str  # the row's label and its text cells ("w/o [Expand]", "SER Methods InfoXLM [4]")
    header: str  # the column's name ("RealScholarQuery Crawler Recall")
    values: frozenset[float]  # its numbers, as stated and ×100/÷100 ("95%" for 0.95)
    caption: str = ""  # the passage's other text: "Table 6: Results on RealScholarQuery."
    label: str = ""  # the row's label alone ("PaSa-7b-Selector (Reason First)")


def _values(text: str) -> set[float]:
    out: set[float] = set()
    for token in FACT_TOKEN.findall(text):
        if token[0].isdigit() and sum(c.isdigit() for c in token) >= 2 and (value := _number(token)) is not None:
            out |= _forms(value)
    return out


def table_cells(text: str) -> tuple[list[TableCell], str]:
    """The numeric cells of the table rows in a passage, and the passage's other text."""
    found: list[tuple[str, str, frozenset[float], str]] = []
    prose: list[str] = []
    for line in text.splitlines():
        match = TABLE_ROW.match(line.strip())
        if not match:
            prose.append(line)
            continue
        parts = [p.strip() for p in match.group("cells").split(";")]
        numeric = [p for p in parts if _values(p)]
        # Text cells name the row too ("Methods InfoXLM"); an empty one ("Precision -") does not.
        row = " ".join([match.group("label"), *(p for p in parts if p not in numeric and not p.endswith("-"))])
        for part in numeric:
            # "Recall@100 0.2809", "Inference time/one doc 8.99ms ± 28.3 µs": the name ends
            # where a word starting with a digit begins.
            named = CELL.match(part)
            header, value = (named.group("header"), named.group("value")) if named else ("", part)
            found.append((row, header, frozenset(_values(value)), match.group("label")))
    caption = "\n".join(prose)
    return [TableCell(row, header, values, caption, label) for row, header, values, label in found], caption


@dataclass(frozen=True)
class Misread:
    number: str  # as the reply states it
    read: str  # the cell that holds it ("Table 5: Google Scholar / Recall@100")
    better: str | None  # the cell that fits the question better, if a given table has one
    unnamed: str = ""  # or the dataset or model the question names that the table read never does


def misread_cells(answer: str, question: str, sources: Sequence[str],
                  words: Callable[[str], set[str]], titles: Sequence[str] = ()) -> list[Misread]:
    """Numbers in `answer` read from the wrong table cell: a number that the passages hold only
    in a table, where another cell's row and column share more of the words of the question
    and of the answer leading up to the number than the cell holding it does — "the
    AutoScholarQuery crawler recall without [Expand] is 0.3359", read from the RealScholarQuery
    column beside 0.3355 — or where the question names a dataset or model ("FUNSD") that the
    table read never mentions. `words` cuts a text into comparable
    words (English, for a Chinese sentence too); a name in `titles` (the papers') says which
    paper, not which table."""
    tables = [table_cells(text) for text in sources]
    cells = [cell for found, _ in tables for cell in found]
    table_text = {cell: text for (found, _), text in zip(tables, sources, strict=True) for cell in found}
    names = [n for n in _names(question) if not any(mentions(title, n) for title in titles)]
    prose_values = set().union(*(_values(other) for _, other in tables)) if tables else set()
    # A column headed "RE" matches a question about relation extraction where a passage says so.
    spell_out = _spell_out(abbreviations(sources))
    # Each cell's words, its row and column apart from its caption (which only breaks ties:
    # Table 8's caption names both datasets its column groups are headed by). But a caption's
    # datasets and models are each cell's own where no header of its table names one: "…
    # coefficient α on AutoScholarQuery test set" (u16-05's right answer was taken for a misread
    # of Table 8's "AutoScholarQuery Crawler Recall" column).
    named: dict[TableCell, tuple[set[str], set[str]]] = {}
    for found, caption in tables:
        headed = any(_names(cell.header) for cell in found)
        extra = set() if headed else words(" ".join(
            n for n in _names(caption) if not any(mentions(title, n) for title in titles)))
        for cell in found:
            named[cell] = (words(spell_out(f"{cell.row} {cell.header}")) | extra, words(caption))
    reply = CITATION.sub(" ", answer)
    answered = _values(reply)  # a cell holding any of these was read for a number
    asked = words(spell_out(question))
    # A row labelled by a number the question states ("2.0: Crawler Recall 0.8063", asked "with a
    # reward coefficient of 2.0") is named by it like a word: `words` keeps no numbers.
    asked_numbers = _values(question)
    by_number = {c for c in cells if _values(c.row) & asked_numbers}
    out: list[Misread] = []
    for sentence in split_sentences(reply):
        clause_start = 0
        for match in FACT_TOKEN.finditer(sentence):
            token = match.group()
            stated = _values(token) and _number(token)
            if not stated:
                continue
            # The words leading up to this number, not the whole sentence: in "its crawler
            # recall is 0.7071 and its recall 0.6111" the second number is just "recall".
            clause = sentence[clause_start:match.start()]
            said = asked | words(spell_out(clause))
            clause_start = match.end()
            if stated in prose_values:
                continue  # the prose states it too: not only a table's
            # Every table the model was given: "Google Scholar Recall@100" is in the AutoScholarQuery
            # table and the RealScholarQuery one, told apart only by their captions. A caption
            # only breaks ties: it names every column group of its table.
            holding = [c for c in cells if stated in c.values]
            if not holding:
                continue
            fit = {c: (len(said & cell) + (c in by_number), len(said & caption)) for c, (cell, caption) in named.items()}
            read = max(holding, key=fit.__getitem__)
            # "1336 papers and 9528 queries" (u20-08): the words right after the number say which
            # column it is, where a question asking three columns names all three.
            if (after := COUNTED.match(sentence[match.end():])) and \
                    (counts := _things(CONNECTIVE.sub("", after.group(1)))) and counts <= _things(spell_out(read.header)):
                continue
            others = [c for c in cells if not c.values & answered]
            # Of cells that fit alike, name the one with the fewest words the question lacks:
            # "RE / DE" over "RE / XFUN Avg." for the German relation extraction score.
            better = max(others, key=lambda c: (fit[c], -len(named[c][0] - said)), default=None)
            if better is not None and fit[better] > fit[read]:
                out.append(Misread(token, _cell_name(read), _cell_name(better)))
                continue
            column = [c for c in others if c.header == read.header and table_text[c] == table_text[read]]
            if named_row := _row_named_instead(read, column, clause, said, words):
                out.append(Misread(token, _cell_name(read), _cell_name(named_row)))
                continue
            # "XYLayoutLM's relation extraction F1 on FUNSD is 0.6432", read from the XFUN table
            # beside the FUNSD one (unseen11: FUNSD has no RE results, so nothing fits better),
            # or with no FUNSD table given at all (unseen13: "0.6812" from an XFUN ablation). In
            # every eval question a table answers, the table names each name the question does.
            unnamed = [n for n in names if not any(mentions(table_text[c], n) for c in holding)]
            if unnamed:
                naming = [c for c in others if mentions(table_text[c], unnamed[0])]
                better = max(naming, key=lambda c: (fit[c], -len(named[c][0] - said)), default=None)
                out.append(Misread(token, _cell_name(read), _cell_name(better) if better else None, unnamed[0]))
    return out


REFERENCE = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")  # "DocFormer [2]"


def _label_name(label: str) -> str:
    """A row label as a reply would write it: "+ DCPE" is "DCPE", "DocFormer [2]" is "DocFormer"."""
    return REFERENCE.sub("", label).strip(" +-*†‡")


def _row_named_instead(read: TableCell, column: Sequence[TableCell], clause: str, said: set[str],
                       words: Callable[[str], set[str]]) -> TableCell | None:
    """The cell of another row of `read`'s column that the reply's words before the number
    (`clause`) name, when they never name the row read: "LayoutReader is 8.99 ms" read from XY
    Cut's row (u17-13), "PaSa-7b-Selector 的精确率为 0.94" from the "PaSa-7b-Selector (Reason
    First)" row (u17-07). A read row that only adds to the named one words the question or reply
    says, or begins ("Aug XY Cut (0.5, 0.5, 5)" for "Augmented XY Cut"), is the row meant."""
    read_name = _label_name(read.label)
    if not read_name or mentions(clause, read_name):
        return None
    named = [(m.end(), len(name), name, cell) for cell in column if (name := _label_name(cell.label))
             and re.search(r"[A-Za-z]", name) and name.lower() != read_name.lower()
             for m in _as_word(name).finditer(clause)]
    if not named:
        return None
    _, _, name, cell = max(named, key=lambda n: n[:2])  # the last named, the longest name at one place
    if mentions(read_name, name):
        added = words(read_name) - words(name)
        if all(any(s.startswith(w) or w.startswith(s) for s in said) for w in added):
            return None
    return cell


def _names(text: str) -> list[str]:
    """The names in `text` that tell a dataset or model apart: words of three or more letters
    with a second capital or a digit ("FUNSD", "RealScholarQuery", "GPT-4o"), not "Chinese"."""
    return list(dict.fromkeys(
        t for t in FACT_TOKEN.findall(text)
        if not t[0].isdigit() and len(t) >= 3 and sum(c.isupper() for c in t) + any(c.isdigit() for c in t) >= 2))


def _as_word(name: str) -> re.Pattern[str]:
    """`name` as a word, or the end of a hyphenated one ("PaSa-GPT-4o" names "GPT-4o")."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.IGNORECASE)


def mentions(text: str, name: str) -> bool:
    return _as_word(name).search(text) is not None


# How papers define the abbreviations their tables use: "“RE” denotes the relation extraction",
# "semantic entity recognition (SER)".
# An abbreviation a passage defines, column headers with marks among them: "RE denotes relation
# extraction", "Ans(/Q) denotes the average number of answer papers per query", and two at once:
# "|P| and |Q| represent the total number of papers and queries" (u20-08).
_SHORT = r"(?:\|[A-Za-z]{1,3}\||[A-Z][A-Za-z0-9]{1,7}(?:\(/[A-Za-z]\)|-\d{1,3})?)"
_DEFINES = r"\s+(?:denotes?|represents?|stands?\s+for|refers?\s+to|is\s+short\s+for)\s+(?:the\s+|an?\s+)?"
DENOTES = re.compile(rf"[“\"']?(?<![\w(/|@-])(?P<short>{_SHORT})(?![\w(/|@-])[”\"']?{_DEFINES}"
                     r"(?P<long>[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,6})")
DENOTES_TWO = re.compile(rf"(?<![\w(/|@-])(?P<a>{_SHORT})\s+and\s+(?P<b>{_SHORT})(?![\w(/|@-]){_DEFINES}"
                         r"(?P<long>\w[\w-]*(?:\s+\w[\w-]*){1,9})")
SPELLED = re.compile(r"(?P<long>(?:[A-Za-z][\w-]*\s+){1,7})\((?P<short>[A-Z][A-Za-z]{1,7}?)s?\)")
CONNECTIVE = re.compile(r"\s+(?:and|or|while|which|that|where|in|on|for|with|is|are)\b.*", re.IGNORECASE)


def abbreviations(texts: Sequence[str]) -> dict[str, str]:
    """Abbreviation → what it stands for, as `texts` define it: "RE" → "relation extraction".
    A parenthesised abbreviation counts only when its letters are the initials of the words
    before it ("semantic entity recognition (SER)"), so "(Table 2)" defines nothing."""
    found: dict[str, str] = {}
    for text in texts:
        flat = " ".join(text.split())
        for match in DENOTES_TWO.finditer(flat):
            first, second = _two_meanings(match.group("long"))
            found.setdefault(match.group("a"), CONNECTIVE.sub("", first))
            found.setdefault(match.group("b"), CONNECTIVE.sub("", second))
        for match in DENOTES.finditer(flat):
            found.setdefault(match.group("short"), CONNECTIVE.sub("", match.group("long")))
        for match in SPELLED.finditer(flat):
            short = match.group("short")
            spelled = match.group("long").split()[-len(short):]
            if len(spelled) == len(short) and "".join(w[0] for w in spelled).lower() == short.lower():
                found.setdefault(short, " ".join(spelled))
    return found


def _two_meanings(defined: str) -> tuple[str, str]:
    """What each of two abbreviations defined at once stands for: "total number of papers and
    queries collected" → "total number of papers", "total number of queries collected"; "50th
    and 90th percentiles of answer counts" → "50th percentiles of answer counts", "90th …"."""
    first, _, second = defined.partition(" and ")
    if " " not in first:
        return f"{first} {second.partition(' ')[2]}".strip(), second
    return first, f"{first.rpartition(' ')[0]} {second}"


def _spell_out(defined: Mapping[str, str]) -> Callable[[str], str]:
    """A function adding, after a text, what each abbreviation it uses stands for."""
    if not defined:
        return lambda text: text
    used = re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in sorted(defined, key=len, reverse=True))
                      + r")(?![\w-])")
    return lambda text: " ".join([text, *dict.fromkeys(defined[m.group(1)] for m in used.finditer(text))])


def _cell_name(cell: TableCell) -> str:
    """ "w/o [Expand] / RealScholarQuery Crawler Recall": a paper's reference marks ("InfoXLM
    [4]") left out, so they are not taken for citations."""
    table = re.match(r"Table\s+\w+", cell.caption)
    name = " / ".join(" ".join(CITATION.sub("", part).split()) for part in (cell.row, cell.header))
    return f"{table.group()}: {name}" if table else name


def says_absent(answer: str) -> bool:
    """True when the reply's first sentence says the passages do not hold the answer and the
    model cites nothing: an answer that then goes on from memory must not be shown as sourced.
    A reply that cites a passage keeps its answer ("X is not stated, but Y [2]")."""
    sentences = split_sentences(answer)
    return bool(sentences) and not cited_numbers(answer) and bool(SAYS_ABSENT.search(sentences[0]))


def restates(question: str, answer: str) -> bool:
    """True when `answer` adds no content word the question lacks — "Google Scholar ranks its
    results by Google Scholar's ranking". The small embedded model writes such echoes when the
    passages only share the question's words; they are refused, not shown as answers. A new
    number, name or content word (any at all) makes it an answer, and so does a number the
    answer states more often than the question: "d = 1 时 … ν 等于 1" answers "d = 1 时 ν 等于多少"."""
    def content(text: str) -> set[str]:
        return {t for t in terms(CITATION.sub(" ", text)) if t.isascii() or not set(t) & FUNCTION_CHARS}

    said = content(answer)
    return bool(said) and not said - content(question) and not _numbers_said(answer) - _numbers_said(question)


def _numbers_said(text: str) -> Counter[str]:
    """The numbers `text` states, each as often as it does, citation marks aside."""
    return Counter(t for t in FACT_TOKEN.findall(CITATION.sub(" ", text)) if t[0].isdigit())


# A question that asks for a number: "how many", "what learning rate", "多少", "几层".
ASKS_NUMBER = re.compile(
    r"\bhow\s+(?:many|much|long|large|big|deep|far|fast|often|high|low|small|wide)\b"
    r"|\bwhat\s+(?:[\w@-]+\s+){0,3}?(?:values?|numbers?|percentage|proportion|ratio|fraction|size|count|scores?|"
    r"f1|recall(?:@\d+)?|precision|accuracy|(?-i:mAP)|rate|coefficient|depth)\b"
    r"|多少|多大|多长|多久|多深|多高|(?<!哪)几(?=[个种层步次条篇倍轮项名位天年月维])|数值|取值",
    re.IGNORECASE)
# A number a reply may state in words: "depth three", "shifted by one", "三层".
SPELLED_NUMBER = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|dozen|half|twice|double|triple|single)\b|[零一二两三四五六七八九十百千万亿半]",
    re.IGNORECASE)


def gives_no_number(question: str, answer: str) -> bool:
    """True when `question` asks for a number and `answer` states none but the question's own
    (in digits or in words): "the upper and lower critical dimensions …" for "what numerical value
    of g_c do they report for d = 2" (u8-29, which the paper never gives) is not an answer."""
    if not ASKS_NUMBER.search(question):
        return False
    reply = CITATION.sub(" ", answer)
    # "r = t′" states a value in symbols (u6-20).
    return (not _numbers_said(answer) - _numbers_said(question) and not SPELLED_NUMBER.search(reply)
            and reply.count("=") <= question.count("="))


# A subscripted symbol a question asks about, with up to two words before it that name it:
# "the critical coupling g_c", "临界耦合 g_c" (its last two characters), "λ_{x}".
SUBSCRIPTED = re.compile(r"((?:[A-Za-z][A-Za-z-]*\s+){0,2}|[\u4e00-\u9fff]{2}\s*)(?<![\w\\])([A-Za-z\u03b1-\u03c9])_\{?([A-Za-z0-9]+)\}?(?!\w)")


def unnamed_symbols(question: str, answer: str) -> list[str]:
    """The subscripted symbols whose value `question` asks for that `answer` names neither as
    the symbol (g_c, gc, g_{c}) nor by the question's words for it ("critical coupling"):
    "the critical dimensions are shifted by one" does not say what g_c is (u8-29)."""
    if not ASKS_NUMBER.search(question):
        return []
    unnamed = []
    for match in SUBSCRIPTED.finditer(question):
        name, base, sub = match.groups()
        words = [w for w in name.lower().split() if w not in STOPWORDS]
        as_symbol = re.search(rf"(?<![\w\\]){re.escape(base)}_?\{{?{re.escape(sub)}\}}?(?!\w)", answer)
        as_words = words and " ".join(words) in " ".join(answer.lower().replace("-", " ").split())
        if not as_symbol and not as_words:
            unnamed.append(f"{base}_{sub}")
    return unnamed


# A number a passage gives as a change: "outperforms Google by 37.78%", "the improvement comes
# to 1.5%", "+0.9", "0.1% F1 score improvement", "1.2 points higher".
CHANGE_BEFORE = re.compile(
    r"(?:\bby|\b(?:improvement|gain|increase|decrease|drop|boost|reduction)s?"
    r"(?:\s+(?:of|comes?\s+to|is|was|reaches|reached))?|\+)\s*(?:about|around|roughly|nearly|up\s+to|only)?\s*$",
    re.IGNORECASE)
CHANGE_AFTER = re.compile(
    r"^\s*%?\s*(?:points?\s+)?(?:(?:[\w@-]+\s+){0,2}?(?:improvement|gain|increase|decrease|drop|boost)s?\b"
    r"|(?:higher|lower|better|worse)\b)",
    re.IGNORECASE)
# A question (or a reply's words around a number) about a change: then a gain is the answer.
# Generous on purpose: a false match here only lets a reply through, as before this check.
ABOUT_CHANGE = re.compile(
    r"improv|gain|increas|decreas|drop|outperform|surpass|exceed|better|worse|higher|lower|margin|"
    r"differen|more than|less than|compar|relative|boost|提升|提高|增加|增长|减少|下降|降低|超过|超出|高出|"
    r"领先|相比|比|差|增益|改进|改善|涨|降",
    re.IGNORECASE)
# A reply's clause that gives a number as a change or beside another's: "37.78% more", "ahead by".
CHANGE_WORDS = re.compile(
    rf"{ABOUT_CHANGE.pattern}|\b(?:more|less|fewer|ahead|behind|above|below|beyond|over|versus|vs)\b|多|少|落后",
    re.IGNORECASE)
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
# "the baseline LayoutXLM (0.6432)", "LayoutXLM [29] (0.6432)": a number in brackets right after
# a name is that name's.
OWNED_BY = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z][\w-]*[A-Za-z0-9])\s*(?:\[\d+(?:\s*,\s*\d+)*\]\s*)?\(\s*$")
CLOSES = re.compile(r"\s*\)")


@dataclass(frozen=True)
class Misstated:
    number: str  # as the reply states it
    source: str  # the passage's words around it: "outperforms Google by 37.78% in Recall@20"
    counted: str = ""  # what the reply counts ("token") when the passage counts something else
    setting: str = ""  # the passage's setting for it ("d = 2") when the question asks another ("d = 1")
    owner: str = ""  # whose number the passage says it is ("LayoutXLM") when the reply gives it to another
    bound: str = ""  # the passage's bound holding it ("l > 1") when the reply gives it as the value
    dataset: str = ""  # the dataset the question asks about, when no passage stating the number names it
    others: str = ""  # the passage's other counts of the same thing ("149") when the reply gives the number to each


def _enclosing(text: str, start: int, end: int, bound: re.Pattern[str]) -> tuple[int, int]:
    """Where the stretch of `text` holding text[start:end] begins and ends (its closing bound
    included), stretches being separated by `bound`: a sentence, a clause."""
    opened = [m.end() for m in bound.finditer(text, 0, start)]
    closed = bound.search(text, end)
    return opened[-1] if opened else 0, closed.end() if closed else len(text)


def _around(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end], cut to NEAR characters either side at a word."""
    first, last = _enclosing(text, start, end, SENTENCE_BOUND)
    before = text[max(first, start - NEAR):start]
    if start - NEAR > first:
        before = before.split(" ", 1)[-1]  # not half a word
    after = text[end:min(last, end + NEAR)]
    if end + NEAR < last:
        after = after.rsplit(" ", 1)[0]
    return " ".join(f"{before}{text[start:end]}{after}".split())


# The numbers listed before one: "33.80%, 38.83% and " before "42.64%", "37.78% in Recall@20 and ".
# A list's comma is followed by a space, a number's ("12,989") by a digit: were either comma
# allowed to be the other, "1,2,3,…" (a reference list) would take exponential time to reject.
LISTED_BEFORE = re.compile(r"(?:[-+]?\d+(?:[.,]\d+)*%?(?:\s+in\s+[\w@-]+)?(?:\s*,\s+(?:and\s+)?|\s+and\s+))+$")


def _as_change(text: str, start: int, end: int) -> bool:
    """Whether the number at text[start:end] is stated as a change ("by 37.78%"), on its own or
    in a list ("an improvement of 33.80%, 38.83% and 42.64%")."""
    before = LISTED_BEFORE.sub("", text[max(0, start - 120):start])
    return bool(CHANGE_BEFORE.search(before[-40:]) or CHANGE_AFTER.match(text[end:end + 40]))


def _clause(text: str, start: int, end: int) -> str:
    """The clause holding text[start:end]: what it says the number counts."""
    first, last = _enclosing(text, start, end, CLAUSE_END)
    return text[first:last]


def _owner(text: str, start: int, end: int) -> str | None:
    """The name the number at text[start:end] belongs to when it stands in brackets right after
    one: "the baseline LayoutXLM (0.6432)" gives 0.6432 to LayoutXLM."""
    named = OWNED_BY.search(text[max(0, start - 60):start])
    if named and CLOSES.match(text, end) and _names(named.group(1)):
        return named.group(1)
    return None


def _given_to_another(reply: str, start: int, end: int, question: str,
                      held: Sequence[tuple[str, int, int]]) -> str | None:
    """The passage's owner of the number at reply[start:end] when every passage stating it
    gives it to one name in brackets, and the reply's sentence gives it to a name of the
    question instead, never naming the owner. A comparison (in the question or that sentence)
    names other systems' numbers rightly, so it is left alone."""
    owners = {_owner(t, s, e) for t, s, e in held}
    owner = owners.pop() if len(owners) == 1 else None
    if owner is None:
        return None
    first, last = _enclosing(reply, start, end, REPLY_SENTENCE_END)
    sentence = reply[first:last]
    # The number is the next one after a name of the question: "XYLayoutLM achieves a 0.6432",
    # not "XYLayoutLM reaches 0.6779 while the baseline has 0.6432".
    before = reply[first:start]
    named = [(m.end(), name) for name in _names(question) for m in _as_word(name).finditer(before)]
    if not named:
        return None
    after_name, name = max(named)
    between = before[after_name:]
    if mentions(name, owner) or any(t[0].isdigit() for t in FACT_TOKEN.findall(between)):
        return None
    compared = (mentions(question, owner) or ABOUT_CHANGE.search(question)
                or mentions(sentence, owner) or ABOUT_CHANGE.search(sentence))
    # A comparison names other systems' numbers rightly, so there the number must follow the
    # name with nothing between them that speaks of another system: u19-11's "XYLayoutLM
    # achieves an average F1 score of 0.6432 …, an improvement over the baseline LayoutXLM
    # (0.6432)", not "XYLayoutLM improves on the baseline's 0.6432".
    if compared and (OTHER_SYSTEM.search(between) or mentions(between, owner)):
        return None
    return owner


# Words between a system's name and a number that make the number another system's.
OTHER_SYSTEM = re.compile(
    rf"{CHANGE_WORDS.pattern}|baseline|previous|prior|original|other|whereas|while|compared|than|"
    r"基线|基准|原|之前|而",
    re.IGNORECASE)


# A fraction, "C = 1/8": one number, not "1" and "8" (single digits, which no check reads).
FRACTION = re.compile(r"(?<![\w/.])(\d+)\s*/\s*(\d+)(?![\w/]|\.\d)")


def _fractions(text: str) -> Iterator[tuple[re.Match[str], float]]:
    for match in FRACTION.finditer(text):
        if (value := _value_of(match.group())) is not None:
            yield match, value


def _occurrences(prose: str, value: float) -> list[tuple[int, int]]:
    found = [(m.start(), m.end()) for m in FACT_TOKEN.finditer(prose)
             if m.group()[0].isdigit() and (n := _number(m.group())) is not None and value in _forms(n)]
    return sorted(found + [(m.start(), m.end()) for m, n in _fractions(prose) if n == value])


SETTING_NEAR = 160  # characters either side of a number searched for the setting it belongs to
SYMBOLS = {name: letter for letter, name in GREEK_NAMES.items()}


def _settings(text: str) -> list[tuple[str, float, re.Match[str]]]:
    """The symbols `text` sets to numbers, "d = 1", "alpha = 2.0", "C = 1/8": (symbol, value,
    match), the symbol as a Greek letter where it is spelled out and without subscript marks."""
    out = []
    for match in EQUATION.finditer(text):
        symbol = _symbol(match)
        numerator, _, denominator = match.group(2).partition("/")
        value = float(numerator) / float(denominator) if denominator and float(denominator) else float(numerator)
        out.append((SYMBOLS.get(symbol.lower(), symbol), round(value, 6), match))
    return out


def _other_setting(text: str, start: int, end: int, asked: Mapping[str, set[float]]) -> tuple[int, int] | None:
    """Where, near the number at text[start:end], a symbol the question sets is set to another
    value than the question's, when no setting there has the question's value."""
    first = max(0, start - SETTING_NEAR)
    near = [(symbol, value, match) for symbol, value, match in _settings(text[first:end + SETTING_NEAR])
            if symbol in asked]
    if not near or any(value in asked[symbol] for symbol, value, _ in near):
        return None
    match = near[0][2]
    return first + match.start(), first + match.end()


def _new_numbers(reply: str, question: str) -> Iterator[tuple[re.Match[str], float]]:
    """The numbers of two or more digits, and the fractions, `reply` states that the question
    does not, years aside, each with its value."""
    in_question = _values(question) | {n for _, n in _fractions(question)}
    for match in FACT_TOKEN.finditer(reply):
        stated = _values(match.group()) and _number(match.group())
        if stated and stated not in in_question and not YEAR.fullmatch(match.group()):
            yield match, stated
    for match, stated in _fractions(reply):
        if stated not in in_question:
            yield match, stated


# What a question counts: "how many candidate papers did …", "多少篇相关论文".
ASKS_COUNT = re.compile(r"\bhow\s+many\s+((?:[A-Za-z][\w-]*\s+){0,2}[A-Za-z][\w-]*)"
                        r"|多少\s*[个条篇张次块名位项台种份]?\s*([\u4e00-\u9fff]{1,6})", re.IGNORECASE)


def _nouns(text: str) -> list[str]:
    """`text`'s Latin words, lowercased, plurals folded, stopwords kept: "paper" is a thing counted."""
    return [stem(word) for word in re.findall(r"[a-z]+", text.lower())]


def _things(text: str) -> set[str]:
    """The words of `text` that can name a thing counted: `_nouns` but stopwords, "paper" kept
    (search leaves it out as a stopword)."""
    return {word for word in _nouns(text) if word not in STOPWORDS or word == "paper"}


class CountAsked(NamedTuple):
    words: str  # what the question asks the number of, in its words: "relevant papers", "相关论文"
    kind: set[str]  # the English words naming that thing: {"related", "relevant", "paper"}
    said: set[str]  # every English word the question says


def _count_asked(question: str, glossary: Mapping[str, str]) -> CountAsked | None:
    """What `question` counts: "relevant papers" of "how many relevant papers were annotated",
    "相关论文" of "多少篇相关论文", read once for every number of a reply. None where it asks no
    count, or counts in Chinese words the glossary does not all know ("候选论文")."""
    asks = ASKS_COUNT.search(question)
    if not asks:
        return None
    if asks.group(2):
        asked = asks.group(2)
        if set(unrendered(asked, glossary)) - FUNCTION_CHARS:
            return None
    else:
        words = asks.group(1).split()
        while len(words) > 1 and not _things(words[-1]):
            words.pop()  # "were", "did": the question's verb
        asked = " ".join(words)
    return CountAsked(asked, _things(render_english(asked, glossary)), set(_nouns(render_english(question, glossary))))


def _counted_instead(text: str, end: int, asked: CountAsked) -> bool:
    """Whether the passage's number ending at `end` counts the kind of thing the question
    counts, qualified by a word the question does not say: "review 76 candidate papers" for
    "多少篇相关论文" (u19-15, whose reply was the bare "76")."""
    counted = COUNTED.match(text[end:])
    if not counted:
        return False
    before: list[str] = []
    for word in _nouns(counted.group(1)):
        if word in asked.kind:  # the thing counted ("papers"): a word before it qualifies it
            return any(w not in asked.said and w not in STOPWORDS for w in before)
        before.append(word)
    return False


def _counted(after: str, asked: set[str]) -> tuple[str, set[str]] | None:
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


# A dataset a question asks about: "on RealScholarQuery", "the FUNSD dataset", "在 XFUN 中文子集上",
# "AutoScholarQuery 测试集". A name of two or more capitals and four or more characters, so "on
# SER" or "on GPU" is none; a paper's own name ("PaSa") is left out by the caller.
_DATASET_NAME = r"[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9-]*[A-Za-z0-9]"
DATASET_ASKED = re.compile(
    rf"\bon\s+(?:the\s+)?({_DATASET_NAME})(?![\w-])"
    rf"|({_DATASET_NAME})\s+(?:benchmark|dataset|data\s+set|test\s+set|subset)s?\b"
    rf"|在\s*({_DATASET_NAME})\s*(?:的?\s*[\u4e00-\u9fff]{{0,4}}(?:数据集|基准|测试集|子集)\s*)?上"
    rf"|({_DATASET_NAME})\s*(?:数据集|基准|测试集|子集)")


def datasets_asked(question: str, papers: Sequence[str] = ()) -> list[str]:
    """The datasets `question` asks about, by name; `papers`' names (what their titles open
    with) are not datasets."""
    names = [name for found in DATASET_ASKED.findall(question) for name in found if len(name) > 3]
    own = [name.lower() for title in papers if (name := paper_name(title))]
    models = tuple(f"{name}-" for name in own)  # "PaSa-7b"
    return [name for name in dict.fromkeys(names) if name.lower() not in own and not name.lower().startswith(models)]


def _squashed(text: str) -> str:
    return re.sub(r"[\s-]", "", text).lower()


# One number given to each of several things: "训练集和测试集各包含50份", "both contain 50 forms".
EACH_BEFORE = re.compile(r"(?:各|\beach\b|\bboth\b)[^。.!?;；\n]{0,16}$", re.IGNORECASE)


def _each_otherwise(text: str, start: int, end: int) -> list[str]:
    """The other numbers `text`'s sentence holding text[start:end] gives the same thing: "the
    training set includes 149 forms, and the test set includes 50 forms" gives "149" beside 50.
    None where the passage itself gives the number to each ("Each language includes 199 forms")."""
    first, last = _enclosing(text, start, end, SENTENCE_BOUND)
    counted = COUNTED.match(text[end:])
    if not counted or EACH_BEFORE.search(text[first:start]):
        return []
    thing = counted.group(1).split(" ")[0]
    stated = _number(text[start:end])
    return [m.group() for m in STANDALONE_NUMBER.finditer(text, first, last)
            if text[m.end():].startswith(f" {thing}") and _number(m.group()) != stated]


def misstated_numbers(answer: str, question: str, sources: Sequence[str],
                      papers: Sequence[str] = (), glossary: Mapping[str, str] | None = None) -> list[Misstated]:
    """Numbers in `answer` that the passages state only in their prose, and only as something
    else than the reply takes them for:
    - a change given as the value asked: "its SER F1 is 1.5%" over "after Augmented XY Cut, the
      improvement comes to 1.5%", when the reply's clause does not speak of a change and the
      question does not either, or asks for the value as well;
    - a count of another thing: "12,989 tokens" over "12,989 training data", when the question
      asks for tokens and no passage says "token" in the clause holding that number;
    - a value of another setting: the question asks for d = 1, and every passage stating the
      number sets d to something else around it ("C = 1/8, the standard result for a d = 2
      system");
    - another's number: "XYLayoutLM achieves 0.6432" over "beyond the baseline LayoutXLM
      (0.6432)", when the question does not ask about LayoutXLM or a comparison;
    - a number of another evaluation: the question asks about a dataset by name and no passage
      stating the number names any dataset asked — u16-25's Selector "F1 score of 85%" for
      RealScholarQuery, from a passage about a 200-pair Selector benchmark. `papers`: titles
      of the papers given, whose names are no datasets;
    - a count of a narrower thing: a reply not saying what it counts, "76" for "how many
      relevant papers per query", when every passage stating it counts the same kind of thing
      with a word the question does not say ("review 76 candidate papers"). `glossary`: how a
      Chinese question's words read in English.
    Numbers the question states, years, and (but for another's number) numbers any table cell
    holds (`misread_cells` judges those) are left alone."""
    tables = [table_cells(text) for text in sources]
    in_tables = {value for cells, _ in tables for cell in cells for value in cell.values}
    prose = [text for _, text in tables]
    asked = set(terms(question))
    reply = CITATION.sub(" ", answer)
    asked_settings: dict[str, set[float]] = {}
    for symbol, value, _ in _settings(question):
        asked_settings.setdefault(symbol, set()).add(value)
    datasets = datasets_asked(question, papers)
    count_asked = _count_asked(question, glossary or {})
    out: list[Misstated] = []
    for match, stated in _new_numbers(reply, question):
        token = match.group()
        held = [(text, start, end) for text in prose for start, end in _occurrences(text, stated)]
        if not held:
            continue  # no passage states it: `unsupported_facts` judges that
        text, start, end = held[0]
        # u11-12 (unanswerable): XYLayoutLM's RE F1 "on FUNSD" given as the baseline's XFUN
        # score from "beyond the baseline LayoutXLM (0.6432)". The number is a table cell too
        # (LayoutXLM's row), which `misread_cells` leaves to the prose.
        if owner := _given_to_another(reply, match.start(), match.end(), question, held):
            out.append(Misstated(token, _around(text, start, end), owner=owner))
            continue
        if stated in in_tables:
            continue
        # u16-25 (unanswerable): the Selector's 85% is an F1 on its own benchmark, in a passage
        # that never says RealScholarQuery. Over the eval's answerable questions, every gold
        # number's chunk names the dataset its question asks about.
        holders = [_squashed(source) for source, text in zip(sources, prose, strict=True)
                   if _occurrences(text, stated)]
        if datasets and not any(_squashed(name) in holder for name in datasets for holder in holders):
            out.append(Misstated(token, _around(text, start, end), dataset=datasets[0]))
            continue
        # u20-10 (blind): "训练集和测试集各包含50份" over "the training set includes 149 forms, and
        # the test set includes 50 forms".
        clause_start, _ = _enclosing(reply, match.start(), match.end(), CLAUSE_END)
        if EACH_BEFORE.search(reply[clause_start:match.start()]) and \
                all(others := [_each_otherwise(t, s, e) for t, s, e in held]):
            out.append(Misstated(token, _around(text, start, end), others=", ".join(others[0])))
            continue
        # u10-07 (unanswerable): asked for d = 1, the model gave the d = 2 fit "0.1250", a
        # figure tick beside "C = 1/8, the standard result for a d = 2 system".
        if asked_settings:
            elsewhere = [where for t, s, e in held if (where := _other_setting(t, s, e, asked_settings))]
            if len(elsewhere) == len(held):
                first, last = elsewhere[0]
                out.append(Misstated(token, _around(text, first, last), setting=" ".join(text[first:last].split())))
                continue
        near = reply[max(0, match.start() - 15):match.end() + 15]
        # A question about a change may still ask for the value too ("what Recall@20 does
        # PaSa-7b reach, and how does that compare with …", u16-02): then the reply's own clause
        # must say the number is a change.
        if (not (ABOUT_CHANGE.search(question) and CHANGE_WORDS.search(_clause(reply, match.start(), match.end())))
                and not ABOUT_CHANGE.search(near) and not _as_change(reply, match.start(), match.end())
                and all(_as_change(t, s, e) for t, s, e in held)):
            out.append(Misstated(token, _around(text, start, end)))
            continue
        counted = _counted(reply[match.end():], asked)
        if counted and not any(counted[1] <= set(terms(_clause(t, s, e))) for t, s, e in held):
            out.append(Misstated(token, _around(text, start, end), counted[0]))
        elif not counted and count_asked and all(_counted_instead(t, e, count_asked) for t, s, e in held):
            out.append(Misstated(token, _around(text, start, end), count_asked.words))
    return out


# What makes the number after it a bound rather than a value: "l > 1", "at least 3", "大于 1".
BOUND_BEFORE = re.compile(
    r"(?:[<>≤≥≲≳≪≫]|\b(?:greater|larger|more|less|smaller|fewer|higher|lower)\s+than|\bat\s+(?:least|most)"
    r"|\bexceed(?:s|ing)?|大于|小于|超过|不少于|不超过|不低于|不高于|至少|至多)\s*$",
    re.IGNORECASE)
# A number standing alone: not "1" of "1D", "2" of "2×" or "Table 2(a)", "5" of "0.5".
# Latin letters only: Chinese writes a number against its words ("设成了1").
STANDALONE_NUMBER = re.compile(r"(?<![A-Za-z0-9_.,])\d+(?:\.\d+)?(?![A-Za-z0-9_×(]|[.,]\d)")
BOUND_NEAR = 30  # characters before a number searched for what bounds it
# How a reply may say a number is a bound, besides BOUND_BEFORE: generous, since a false match
# only lets the reply through. "over 10", "10+ papers", "10 or more", "10篇以上".
HEDGED_BEFORE = re.compile(r"(?:\b(?:over|above|beyond|under|below|up\s+to|nearly|almost|around|about|"
                           r"approximately|roughly)|[~≈约近逾])\s*$", re.IGNORECASE)
HEDGED_AFTER = re.compile(r"\s*(?:\+|or\s+(?:more|fewer|less|above|below|higher|lower)\b|[个篇条]?(?:以上|以下|多|余))",
                          re.IGNORECASE)


def _standalone(text: str) -> Iterator[tuple[re.Match[str], float]]:
    for match in STANDALONE_NUMBER.finditer(text):
        if (value := _number(match.group())) is not None:
            yield match, value


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
    asked = {value for _, value in _standalone(question)}
    out = []
    for match, value in _standalone(reply):
        if (value in asked or _bounded(reply, match.start())
                or HEDGED_BEFORE.search(reply[max(0, match.start() - BOUND_NEAR):match.start()])
                or HEDGED_AFTER.match(reply, match.end())):
            continue
        held = [(text, m, _bounded(text, m.start())) for text in sources for m, v in _standalone(text) if v == value]
        if held and all(bound for _, _, bound in held):
            text, where, bound = held[0]
            out.append(Misstated(match.group(), _around(text, where.start(), where.end()),
                                 bound=f"{bound} {where.group()}"))
    return out


def paper_name(title: str) -> str | None:
    """The name a paper's title opens with, "PaSa" in "PaSa: An LLM Agent for Comprehensive
    Academic Paper Search"; None for a title without one (or a note's)."""
    name, colon, _ = title.partition(":")
    name = name.strip()
    return name if colon and len(name.split()) <= 2 and _names(name) else None


def _folded(token: str) -> str:
    """A name as `borrowed_facts` compares it: "NVIDIA-H100" as "nvidiah100", "GPUs" as "gpu"."""
    if len(token) > 2 and token.endswith("s") and token[-2].isupper():
        token = token[:-1]  # an acronym's plural, which `stem` leaves alone ("GPUs" ends like "bus")
    return stem(_squashed(token))


def _name_like(token: str) -> bool:
    """A word that names something: a capital past its first letter or a digit ("H100", "GPUs", "XFUN")."""
    return token[0].isalpha() and len(token) > 2 and any(c.isupper() or c.isdigit() for c in token[1:])


def borrowed_facts(answer: str, question: str, passages: Sequence[tuple[str, str]],
                   titles: Sequence[str] = ()) -> list[Misstated]:
    """Numbers and names the reply gives for the one paper the question names (by the name its
    title opens with) that only another named paper's passages state: "XYLayoutLM is fine-tuned
    with a learning rate of 1e-5" over PaSa's "a learning rate of 1e-5 and a batch size of 4"
    (u16-28, unanswerable: XYLayoutLM gives no learning rate); "XYLayoutLM 在 XFUN 上微调时使用了 8
    块 NVIDIA-H100 GPUs" over PaSa's "The training runs on 8 NVIDIA-H100 GPUs" (u20-30).
    `passages` are (title, text) pairs; `titles`, papers of the KB the question may name though
    no passage of theirs was given. A passage of no named paper (a learner's note) that states
    the fact clears it; so does the question, and a question naming two papers is left alone.
    Papers' own names are no facts borrowed ("unlike PaSa")."""
    names = {title: name for title in [*(t for t, _ in passages), *titles] if (name := paper_name(title))}
    asked = {name for name in names.values() if mentions(question, name)}
    if len(asked) != 1:
        return []
    reply = CITATION.sub(" ", answer)
    # Each passage read once: its numbers, and its words as names are compared.
    stating = [(title, text, _values(text), {_folded(t) for t in FACT_TOKEN.findall(text) if not t[0].isdigit()})
               for title, text in passages]
    papers = {_folded(name) for name in names.values()}
    said = {_folded(t) for t in FACT_TOKEN.findall(question)}
    facts: list[tuple[str, float | None, list[tuple[str, str]]]] = [
        (match.group(), value, [(title, text) for title, text, values, _ in stating if value in values])
        for match, value in _new_numbers(reply, question)]
    for token in dict.fromkeys(t for t in FACT_TOKEN.findall(reply) if _name_like(t)):
        if (name := _folded(token)) not in said | papers:
            facts.append((token, None, [(title, text) for title, text, _, words in stating if name in words]))
    out: list[Misstated] = []
    for token, value, holders in facts:
        owners = {names.get(title) for title, _ in holders}
        if not holders or None in owners or owners & asked:
            continue
        title, text = holders[0]
        start, end = _occurrences(text, value)[0] if value is not None else _name_at(text, _folded(token))
        out.append(Misstated(token, _around(text, start, end), owner=names[title]))
    return out


def _name_at(text: str, name: str) -> tuple[int, int]:
    """Where `text` first states `name` (a `_folded` word): found the way `borrowed_facts` read it."""
    return next((m.span() for m in FACT_TOKEN.finditer(text) if _folded(m.group()) == name), (0, 0))
