"""Names and numbers a reply states that no passage (nor the question) holds: the model's
memory, not the knowledge base."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.reply_checks.equations import (
    EQUATION,
    STATED_VALUE,
    UNMARKED_SYMBOL,
    equation_of,
    equations_text,
    holds_both,
    set_by,
    states_equation,
)
from agent.reply_checks.reading import (
    CITATION,
    FACT_TOKEN,
    REMOVED,
    exact,
    forms_of,
    fractions_in,
    is_share,
    mentions,
    number_of,
    split_sentences,
)
from kb.terms import STOPWORDS

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
    # A paper's reference marks state no number: "dilated convolution [32]" does not hold a reply's
    # "膨胀率 l 是 32" (u17-29, unanswerable).
    unreferenced = CITATION.sub(" ", held)
    numbers = {n: is_share(t) for t in FACT_TOKEN.findall(unreferenced) if t[0].isdigit() and (n := number_of(t)) is not None}
    numbers.update({value: True for _, value in fractions_in(unreferenced)})  # "C = 1/8" holds 0.125
    # 95 % is held as 0.95 and 0.95 as 95 %; but a whole number is not a share of anything:
    # "100 个预训练模型" is not held by a list's "1." (a reply LayoutParser's passage let through).
    as_shares = {form for n, share in numbers.items() if share for form in forms_of(n)}

    def is_held(token: str, value: float) -> bool:
        return value in numbers or value in as_shares or (is_share(token) and bool(forms_of(value) & numbers.keys()))

    # A mark the filter put for an invented citation is no word: "[citation removed] Once …" opens
    # its sentence with "Once".
    reply = CITATION.sub(" ", answer).replace(REMOVED, " ")
    # "0.8335 against DocFormer's 0.8334, higher by 0.0001" (u17-16): a difference of two numbers
    # the reply states, each held, is worked out from the sources, not remembered.
    stated = {value for t in FACT_TOKEN.findall(reply)
              if t[0].isdigit() and (value := number_of(t)) is not None and is_held(t, value)}
    differences = {form for a in stated for b in stated if a > b for form in forms_of(exact(a - b))}
    out: list[str] = []
    for sentence in split_sentences(reply):
        for token in FACT_TOKEN.findall(sentence):
            if token[0].isdigit():
                value = number_of(token)
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
    for match, value in fractions_in(reply):
        if not is_held(match.group(), value) and match.group() not in out and not set(match.groups()) & set(out):
            out.append(match.group())
    # "g_c = 2": a one-digit value escapes the number test above, but an equation the reply
    # states must be one a passage (or the question) states, written alike (u9-29's "g_c = 2
    # for d = 2", where the paper gives g_c only as an integral).
    written = equations_text(held)
    # Read past citation marks ("g_c [1] = 2"), blanked to their length so that what is flagged
    # is quoted as the reply writes it.
    unmarked = CITATION.sub(lambda mark: " " * len(mark.group()), answer)
    for match in EQUATION.finditer(unmarked):
        said = answer[match.start():match.end()]
        if (not states_equation(written, equation_of(match))
                and not set_by(question, match.group(1), match.group(2)) and said not in out):
            out.append(said)
    # The same in words: "g_c 的具体数值是 1/8" (u19-20), "膨胀率 l 设为 5" (u19-30), where the
    # paper gives g_c only as an integral and l only as "l > 1". Words are looser than "=", so a
    # passage holding the symbol and the value anywhere (a table of "reward coefficient α" with
    # a row "0.5: …") holds the statement.
    for match in STATED_VALUE.finditer(answer):  # not across a citation mark: the refusal quotes it
        symbol, said = match.groups()
        if re.fullmatch(UNMARKED_SYMBOL, symbol) and (symbol.lower() in STOPWORDS or not mentions(question, symbol)):
            continue  # "it is 5"; "gc" is a symbol where the question names it
        if (not states_equation(written, re.sub(r"[_{}]", "", symbol) + "=" + said)
                and not set_by(question, symbol, said) and not any(holds_both(s, symbol, said) for s in sources)
                and match.group() not in out):
            out.append(match.group())
    return out
