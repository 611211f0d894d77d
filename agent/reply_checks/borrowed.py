"""Numbers and names a reply gives one paper that only another paper's passages state."""

from __future__ import annotations

from collections.abc import Sequence

from agent.reply_checks.misstated import Misstated
from agent.reply_checks.reading import (
    CITATION,
    FACT_TOKEN,
    around,
    mentions,
    new_numbers_in,
    occurrences_of,
    paper_name,
    squashed,
    values_in,
)
from kb.terms import stem


def _folded(token: str) -> str:
    """A name as `borrowed_facts` compares it: "NVIDIA-H100" as "nvidiah100", "GPUs" as "gpu"."""
    if len(token) > 2 and token.endswith("s") and token[-2].isupper():
        token = token[:-1]  # an acronym's plural, which `stem` leaves alone ("GPUs" ends like "bus")
    return stem(squashed(token))


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
    stating = [(title, text, values_in(text), {_folded(t) for t in FACT_TOKEN.findall(text) if not t[0].isdigit()})
               for title, text in passages]
    papers = {_folded(name) for name in names.values()}
    said = {_folded(t) for t in FACT_TOKEN.findall(question)}
    facts: list[tuple[str, float | None, list[tuple[str, str]]]] = [
        (match.group(), value, [(title, text) for title, text, values, _ in stating if value in values])
        for match, value in new_numbers_in(reply, question)]
    for token in dict.fromkeys(t for t in FACT_TOKEN.findall(reply) if _name_like(t)):
        if (name := _folded(token)) not in said | papers:
            facts.append((token, None, [(title, text) for title, text, _, words in stating if name in words]))
    out: list[Misstated] = []
    for token, value, holders in facts:
        owners = {names.get(title) for title, _ in holders}
        if not holders or None in owners or owners & asked:
            continue
        title, text = holders[0]
        start, end = occurrences_of(text, value)[0] if value is not None else _name_at(text, _folded(token))
        out.append(Misstated(token, around(text, start, end), owner=names[title]))
    return out


def _name_at(text: str, name: str) -> tuple[int, int]:
    """Where `text` first states `name` (a `_folded` word): found the way `borrowed_facts` read it."""
    return next((m.span() for m in FACT_TOKEN.finditer(text) if _folded(m.group()) == name), (0, 0))
