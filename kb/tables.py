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
    lines = [line.strip() for line in text.splitlines()]
    labels = [m.group("label").strip() for line in lines if (m := TABLE_ROW.match(line))]
    single = [(m.group("label").strip(), m.group("header")) for line in lines
              if not TABLE_ROW.match(line) and (m := ONE_CELL_ROW.match(line))]
    columns = Counter(header for _, header in single)
    return labels + [label for label, header in single if columns[header] >= ONE_CELL_MIN_ROWS]
