"""How a found table is written out: what the learner and the model read in a table chunk."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.pdf_tables import PageTable, _spread_labels

BOX = (0.0, 0.0, 100.0, 100.0)


def test_a_results_row_pairs_each_number_with_its_column() -> None:
    table = PageTable(1, BOX, [["Method", "Precision", "Recall"], ["GPT-o1", "0.058", "0.0134"], ["PaSa", "", "0.6"]])
    assert table.text() == "GPT-o1: Precision 0.058; Recall 0.0134\nPaSa: Recall 0.6"


def test_a_table_of_long_text_cells_stays_plain_lines() -> None:
    prompt = "You are an elite researcher in the field of AI; judge the paper"
    table = PageTable(1, BOX, [["Name", "Prompt"], ["judge", prompt]])
    assert table.text() == f"Name Prompt\njudge {prompt}"


def test_a_spanned_header_is_not_guessed_at() -> None:
    table = PageTable(1, BOX, [["Methods", "SER ZH ES", ""], ["XY Cut", "0.89", "0.75"]], spanned_header=True)
    assert table.text() == "Methods SER ZH ES\nXY Cut 0.89 0.75"


def test_a_group_cell_holding_its_sub_columns_as_lines_names_each_column() -> None:
    table = PageTable(1, BOX, [["Methods", "SER\nZH\nES", "", "RE\nZH ES", ""], ["XY Cut", "0.89", "0.75", "0.72", "0.71"]],
                      spanned_header=True)
    assert table.text() == "XY Cut: SER ZH 0.89; SER ES 0.75; RE ZH 0.72; RE ES 0.71"


def test_a_sub_column_beside_each_group_cell_is_named_by_its_group() -> None:
    # PaSa's Table 8 as the finder reads it: each group's third column header in a cell of its own.
    top = ["Method", "AutoScholarQuery\nCrawler Recall\nPrecision", "", "Recall",
           "RealScholarQuery\nCrawler Recall\nPrecision", "", "Recall"]
    table = PageTable(1, BOX, [top, ["w/o [Expand]", "0.3355", "0.1445", "0.2536", "0.3359", "0.6738", "0.2890"]],
                      spanned_header=True)
    assert table.text() == ("w/o [Expand]: AutoScholarQuery Crawler Recall 0.3355; AutoScholarQuery Precision 0.1445; "
                            "AutoScholarQuery Recall 0.2536; RealScholarQuery Crawler Recall 0.3359; "
                            "RealScholarQuery Precision 0.6738; RealScholarQuery Recall 0.2890")


def test_a_column_named_once_after_a_group_stands_alone() -> None:
    table = PageTable(1, BOX, [["Methods", "SER\nZH\nES", "", "Avg."], ["XY Cut", "0.89", "0.75", "0.82"]],
                      spanned_header=True)
    assert table.text() == "XY Cut: SER ZH 0.89; SER ES 0.75; Avg. 0.82"


def test_a_second_header_row_under_spanning_groups_names_each_column() -> None:
    rows = [["DCPE", "", "SER", ""], ["Text", "Image", "ZH", "ES"], ["Conv1d", "Conv2d", "0.91", "0.76"]]
    table = PageTable(1, BOX, rows, spanned_header=True)
    assert table.text() == "DCPE Text Conv1d: DCPE Image Conv2d; SER ZH 0.91; SER ES 0.76"


def test_a_label_spanning_rows_reaches_each_of_them() -> None:
    body = [["", "a", "1"], ["SER", "b", "2"], ["", "c", "3"], ["", "d", "4"], ["RE", "e", "5"], ["", "f", "6"]]
    assert [row[0] for row in _spread_labels(body)] == ["SER", "SER", "SER", "RE", "RE", "RE"]


def test_a_table_read_as_one_merged_cell_per_column_counts_as_merged() -> None:
    merged = PageTable(1, BOX, [["Methods", "SER"], ["BERT\nRoBERTa\nBROS", "0.60\n0.66\n0.81"]])
    clean = PageTable(1, BOX, [["Methods", "SER"], ["BERT", "0.60"], ["RoBERTa", "0.66"]])
    assert merged.merged and not clean.merged


cells = st.text(alphabet="ab1.", max_size=4)


@given(st.lists(st.lists(cells, min_size=2, max_size=2), min_size=1, max_size=8))
def test_spreading_labels_changes_only_empty_labels(body: list[list[str]]) -> None:
    spread = _spread_labels(body)
    assert len(spread) == len(body)
    for before, after in zip(body, spread, strict=True):
        assert after[1:] == before[1:]
        assert after[0] == before[0] or not before[0]
    if any(row[0] for row in body):
        assert all(row[0] for row in spread)
