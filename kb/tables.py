"""Table rows as ingestion writes them into passages (ingest/pdf_tables.py): one line per
row, "label: header value; header value" — read back by retrieval (which rows a question
names) and by the reply checks (which cell a number came from)."""

from __future__ import annotations

import re

TABLE_ROW = re.compile(r"^(?P<label>[^:;\n]{1,160}):\s(?P<cells>.*;.*)$")


def row_labels(text: str) -> list[str]:
    """The labels of the table rows in a passage: "NeurIPS 2023", "w/o [Expand]"."""
    return [m.group("label").strip() for line in text.splitlines() if (m := TABLE_ROW.match(line.strip()))]
