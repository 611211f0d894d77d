"""Table rows as ingestion writes them into passages (ingest/pdf_tables.py): one line per
row, "label: header value; header value" — read back by retrieval (which rows a question
names) and by the reply checks (which cell a number came from)."""

from __future__ import annotations

import re
from collections import Counter

TABLE_ROW = re.compile(r"^(?P<label>[^:;\n]{1,160}):\s(?P<cells>.*;.*)$")


# A row of a one-column table, "learning rate: Value 1e-6": one cell, so no ";".
ONE_CELL_ROW = re.compile(r"^(?P<label>[^:;\n]{1,160}):\s(?P<header>[A-Za-z][^;\n]*?)\s[-+(]?\d[^;\s]*$")
ONE_CELL_MIN_ROWS = 3  # lines naming the same column before they count as a table's rows


def row_labels(text: str) -> list[str]:
    """The labels of the table rows in a passage: "NeurIPS 2023", "w/o [Expand]", and those of
    a one-column table ("α (Equation 1): Value 1.5"), whose rows all name the same column — a
    prose line "Note: see 3" names none that others share."""
    labels: list[str] = []
    single: list[tuple[str, str]] = []  # (label, column) of each line that looks like a one-cell row
    for line in map(str.strip, text.splitlines()):
        if row := TABLE_ROW.match(line):
            labels.append(row.group("label").strip())
        elif row := ONE_CELL_ROW.match(line):
            single.append((row.group("label").strip(), row.group("header")))
    columns = Counter(header for _, header in single)
    return labels + [label for label, header in single if columns[header] >= ONE_CELL_MIN_ROWS]
