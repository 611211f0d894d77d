"""A prose number given for what a table states otherwise: "the learning rate used in PaSa's PPO
training was 1e-5" (u22-01, shown), where Table 4, "The hyperparameters used in PPO training",
lists "learning rate: Value 1e-6" and 1e-5 is the imitation learning's and the Selector's, in
sentences that never speak of PPO."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.reply_checks.misstated import Misstated
from agent.reply_checks.reading import (
    CITATION,
    FACT_TOKEN,
    around,
    mentions,
    names_in,
    passage_sentences,
    split_sentences,
    stated_at,
    values_in,
)
from kb.tables import ONE_CELL_ROW, TABLE_ROW, row_labels


def numbers_a_table_contradicts(answer: str, sources: Sequence[str]) -> list[Misstated]:
    """Numbers `answer` gives for a quantity a given table lists by name (a row's label,
    "learning rate") under a caption naming what the reply's words before the number name too
    ("PPO"), where that row holds another value and no passage sentence stating the number
    names it: the reply took a number of something else for the table's."""
    parsed = [_rows(text) for text in sources]
    tables = [(rows, other) for rows, other in parsed if rows]
    if not tables:
        return []
    prose = [s for _, other in parsed for s in passage_sentences(other) if values_in(s)]
    out: list[Misstated] = []
    for sentence in split_sentences(CITATION.sub(" ", answer)):
        clause_start = 0
        for match in FACT_TOKEN.finditer(sentence):
            token = match.group()
            if not token[0].isdigit() or not (stated := values_in(token)):
                continue
            clause, clause_start = sentence[clause_start:match.start()], match.end()
            stating = [s for s in prose if values_in(s) & stated]  # where the passages say the number
            if not stating:
                continue
            for rows, caption in tables:
                named = [n for n in names_in(caption) if mentions(clause, n)]
                quantity = [(line, values) for label, line, values in rows if len(label) > 3 and mentions(clause, label)]
                if not named or not quantity or any(stated & values for _, values in quantity):
                    continue
                if any(mentions(s, n) for s in stating for n in named):
                    continue
                row = quantity[0][0]
                table = re.match(r"Table\s+\w+", caption.strip())
                out.append(Misstated(token, around(stating[0], *stated_at(stating[0], stated)),
                                     table=f"{table.group() if table else 'a table'} on {named[0]}: “{row}”"))
                break
    return out


def _rows(text: str) -> tuple[list[tuple[str, str, set[float]]], str]:
    """A passage's table rows, (label, the row as written, its numbers), and its other text."""
    labels = set(row_labels(text))
    rows, other = [], []
    for line in map(str.strip, text.splitlines()):
        row = TABLE_ROW.match(line) or ONE_CELL_ROW.match(line)
        if row and row.group("label").strip() in labels:
            rows.append((row.group("label").strip(), line, values_in(line[row.end("label"):])))
        else:
            other.append(line)
    return rows, "\n".join(other)
