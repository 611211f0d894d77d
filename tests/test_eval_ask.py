"""The eval's own reading of its gold answers: a wrong reading would report a wrong figure."""

from __future__ import annotations

from bench.eval_ask import _table_values


def test_a_table_rows_values_are_read_after_its_label_and_not_from_its_headers() -> None:
    row = {"paper_id": "2501.10120", "page": 10, "text": "2.0: Crawler Recall 0.8063; Crawler Actions 785.5", "table": True}
    timed = {"paper_id": "2203.06947", "page": 9, "text": "XY Cut: Inference time/one doc 8.99ms ± 28.3 µs", "table": True}
    recall = {"paper_id": "2501.10120", "page": 8, "text": "PaSa-7b: Recall@50 0.6563; Recall@20 0.5798", "table": True}
    assert _table_values([row]) == {0.8063, 785.5}
    assert _table_values([timed]) == {8.99, 28.3}
    assert _table_values([recall]) == {0.6563, 0.5798}  # not the 50 and 20 of the headers


def test_a_bare_cell_counts_and_prose_does_not() -> None:
    cell = {"paper_id": "2501.10120", "page": 8, "text": "0.5798"}
    prose = {"paper_id": "2501.10120", "page": 3, "text": "we sampled 100 query-paper pairs"}
    assert _table_values([cell]) == {0.5798}
    assert _table_values([prose]) == set()
    assert _table_values([cell, prose]) == set()  # prose answers it too: no single value to check
