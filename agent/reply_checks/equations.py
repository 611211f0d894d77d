"""Symbols set to values, as papers and replies write them: "g_c = 2", "α was 0.5", "λx, λy, θ
as 0.5, 0.5, 5". Read so a reply's setting can be looked up in the passages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from agent.reply_checks.reading import CITATION, fractions_in, standalone_in, value_of

GREEK_NAMES = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "η": "eta", "θ": "theta",
               "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "ρ": "rho", "σ": "sigma", "τ": "tau",
               "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega"}


def set_by(question: str, symbol: str, value: str) -> bool:
    """True when the question itself gives `symbol` this value, in words too: "θ raised to 10",
    "when theta is 10" — the reply's "θ = 10" then restates the setting asked about."""
    names = [re.escape(symbol), *([GREEK_NAMES[symbol]] if symbol in GREEK_NAMES else [])]
    return re.search(rf"(?<![\w.])(?:{'|'.join(names)})\b.{{0,30}}?(?<![\w.]){re.escape(value)}(?![\w.]*\d)",
                     question, re.IGNORECASE) is not None


# An equation giving a symbol a number: "g_c = 2", "ν = 1", "C = 1/8", "θ = 10".
SYMBOL, VALUE = r"[A-Za-z\u0370-\u03ff][\w′'{}]{0,5}", r"-?\d+(?:\.\d+)?(?:/\d+)?"
EQUATION = re.compile(rf"(?<![\w.])({SYMBOL})\s*=\s*({VALUE})(?![\d.]*\d)")

# A reply stating a symbol's value in words: "g_c 的具体数值是 1/8", "l 设为 5", "α was 0.5". The
# symbol is one letter, subscripted or not, so "the rate is 5" states nothing here.
LETTER_SYMBOL = r"(?:[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?|[\u0370-\u03ff][A-Za-z0-9′]{0,2})"
# Or two letters with the subscript unmarked, "gc": `unsupported_facts` reads such a symbol only
# where the question names it, since "it is 5" has the same shape.
UNMARKED_SYMBOL = r"[A-Za-z][a-z0-9]"
STATED_VALUE = re.compile(
    rf"(?<![A-Za-z0-9_.\\-])({LETTER_SYMBOL}|{UNMARKED_SYMBOL}(?![A-Za-z0-9]))\s*(?:的\s*)?(?:具体)?(?:数值|取值|值)?\s*"
    rf"(?:是|为|设为|设成了?|等于|取为?|取值为|is(?:\s+set\s+to)?|was(?:\s+set\s+to)?|equals)\s*"
    rf"({VALUE})(?![\d.]*\d|[A-Za-z])")
NEAR_SYMBOL = 30  # characters between a symbol and a one-digit value a passage gives it
EQUATION_LABEL = re.compile(r"\(\d+\)")  # "(5)": an equation's number, not a value


def states_equation(written: str, equation: str) -> bool:
    """True when `written` (an `equations_text`) holds `equation` ("gc=2"), not "gc=2.5"."""
    return re.search(rf"(?<![\w.]){re.escape(equation)}(?![\w.]*\d)", written) is not None


def holds_both(source: str, symbol: str, value: str) -> bool:
    """True when `source` states the symbol (as a word, its subscript marks aside, or a Greek
    letter's name) and the number: anywhere, or for a one-digit number near the symbol."""
    text = CITATION.sub(" ", EQUATION_LABEL.sub(" ", source))  # "(5)", "[32]": labels and references
    plain = re.sub(r"[_{}]", "", text)
    bare = re.sub(r"[_{}]", "", symbol)
    names = [re.escape(bare), *([GREEK_NAMES[bare]] if bare in GREEK_NAMES else [])]
    symbol_at = [m.start() for m in re.finditer(rf"(?<![A-Za-z0-9\\])(?:{'|'.join(names)})(?![A-Za-z0-9])", plain)]
    stated = value_of(value)
    if not symbol_at or stated is None:
        return False
    if re.fullmatch(r"-?\d", value):
        # A one-digit value stands everywhere in a formula's debris ("4tp2", "(2π)d+1", "2\n\ng"):
        # it must stand within a few words of the symbol, on its line (u23-20's "gc 的具体数值是 2").
        return any(abs(m.start() - at) <= NEAR_SYMBOL and "\n" not in plain[min(m.start(), at):max(m.start(), at)]
                   for at in symbol_at for m, v in standalone_in(plain) if v == stated)
    return stated in {v for _, v in [*standalone_in(text), *fractions_in(text)]}  # 1/8 or 0.1250


def symbol_of(match: re.Match[str]) -> str:
    """An equation's symbol without subscript marks: "g_c" → "gc"."""
    return re.sub(r"[_{}]", "", match.group(1))


def equation_of(match: re.Match[str]) -> str:
    """An equation as `equations_text` writes it: "g_c = 2" → "gc=2"."""
    return symbol_of(match) + "=" + match.group(2)


# Symbols set as a list, "we set the hyper-parameter λx, λy, θ as 0.5, 0.5, 5" (u18-02, whose
# right "λx = 0.5, λy = 0.5, and θ = 5" was refused), "(α, β) = (1, 2)".
LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
LISTED_SETTINGS = re.compile(
    rf"(?<![\w.])\(?({SYMBOL}(?:(?:{LIST_SEPARATOR.pattern}){SYMBOL})+)\)?\s*(?:as|to|=|are|be|of|:)\s*"
    rf"\(?({VALUE}(?:(?:{LIST_SEPARATOR.pattern}){VALUE})+)\)?(?![\d.]*\d)")


# The same list split over two sentences: "three thresholds: λx, λy, θ. … we set hyper-parameters
# as 0.5, 0.5, 5 by default" (u20-11, whose right "λx = 0.5, λy = 0.5, θ = 5" was refused). The
# symbols here are letters (a Greek one with a mark), so a list of words ("SER and RE") names none.
LISTED_SYMBOLS = re.compile(
    rf"(?<![\w.])({LETTER_SYMBOL}(?:(?:{LIST_SEPARATOR.pattern}){LETTER_SYMBOL})+)(?!\w|\.\w)")
LISTED_VALUES = re.compile(
    rf"\b(?:as|to|are|be|of)\s+\(?({VALUE}(?:(?:{LIST_SEPARATOR.pattern}){VALUE})+)\)?(?![\d.]*\d)")


def listed_settings(text: str) -> Iterator[tuple[str, str]]:
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


def equations_text(text: str) -> str:
    """`text` with spaces around "=" and the "_", "{", "}" of subscripts left out, so "g_c = 2"
    and "gc=2" read alike; symbols a passage sets as a list ("λx, λy, θ as 0.5, 0.5, 5") are
    added as one equation each ("λx=0.5 λy=0.5 θ=5")."""
    listed = [f"{symbol}={value}" for symbol, value in listed_settings(text)]
    return re.sub(r"\s*=\s*", "=", re.sub(r"[_{}]", "", " ".join([text, *listed])))


SYMBOLS = {name: letter for letter, name in GREEK_NAMES.items()}


def settings_in(text: str) -> list[tuple[str, float, re.Match[str]]]:
    """The symbols `text` sets to numbers, "d = 1", "alpha = 2.0", "C = 1/8": (symbol, value,
    match), the symbol as a Greek letter where it is spelled out and without subscript marks."""
    out = []
    for match in EQUATION.finditer(text):
        symbol = symbol_of(match)
        numerator, _, denominator = match.group(2).partition("/")
        value = float(numerator) / float(denominator) if denominator and float(denominator) else float(numerator)
        out.append((SYMBOLS.get(symbol.lower(), symbol), round(value, 6), match))
    return out
