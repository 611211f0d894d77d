"""Table cells read from the wrong row or column: a number a table holds, where another
cell's row and column fit the question better, or the table never names what the question does."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from agent.reply_checks.reading import (
    CITATION,
    CONNECTIVE,
    COUNTED,
    FACT_TOKEN,
    as_word,
    mentions,
    names_in,
    number_of,
    paper_name,
    split_sentences,
    things_in,
    values_in,
)
from kb.tables import TABLE_ROW

CELL = re.compile(r"^(?P<header>.*?)\s+(?P<value>\(?[-+]?\d.*)$")  # "(10.3ms ± 34.1us)*1024" is a value too


@dataclass(frozen=True)
class TableCell:
    row: str  # the row's label and its text cells ("w/o [Expand]", "SER Methods InfoXLM [4]")
    header: str  # the column's name ("RealScholarQuery Crawler Recall")
    values: frozenset[float]  # its numbers, as stated and ×100/÷100 ("95%" for 0.95)
    caption: str = ""  # the passage's other text: "Table 6: Results on RealScholarQuery."
    label: str = ""  # the row's label alone ("PaSa-7b-Selector (Reason First)")


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
        # An empty cell ("Recall@50 -") holds no number, though its header has one: read as a
        # value, "50" was 0.5, and u21-06's "α 设为 0.5" a misread of it.
        numeric = [p for p in parts if values_in(p) and not p.endswith("-")]
        # Text cells name the row too ("Methods InfoXLM"); an empty one ("Precision -") does not.
        row = " ".join([match.group("label"), *(p for p in parts if p not in numeric and not p.endswith("-"))])
        for part in numeric:
            # "Recall@100 0.2809", "Inference time/one doc 8.99ms ± 28.3 µs": the name ends
            # where a word starting with a digit begins.
            named = CELL.match(part)
            header, value = (named.group("header"), named.group("value")) if named else ("", part)
            found.append((row, header, frozenset(values_in(value)), match.group("label")))
    caption = "\n".join(prose)
    return [TableCell(row, header, values, caption, label) for row, header, values, label in found], caption


@dataclass(frozen=True)
class Misread:
    number: str  # as the reply states it
    read: str  # the cell that holds it ("Table 5: Google Scholar / Recall@100")
    better: str | None  # the cell that fits the question better, if a given table has one
    unnamed: str = ""  # or the dataset or model the question names that the table read never does
    given_for: str = ""  # or the model the reply gives another row's number to


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
    names = [n for n in names_in(question) if not any(mentions(title, n) for title in titles)]
    prose_values = set().union(*(values_in(other) for _, other in tables)) if tables else set()
    # A column headed "RE" matches a question about relation extraction where a passage says so.
    spell_out = _spell_out(abbreviations(sources))
    # Each cell's words, its row and column apart from its caption (which only breaks ties:
    # Table 8's caption names both datasets its column groups are headed by). But a caption's
    # datasets and models are each cell's own where no header of its table names one: "…
    # coefficient α on AutoScholarQuery test set" (u16-05's right answer was taken for a misread
    # of Table 8's "AutoScholarQuery Crawler Recall" column).
    named: dict[TableCell, tuple[set[str], set[str]]] = {}
    for found, caption in tables:
        headed = any(names_in(cell.header) for cell in found)
        extra = set() if headed else words(" ".join(
            n for n in names_in(caption) if not any(mentions(title, n) for title in titles)))
        for cell in found:
            named[cell] = (words(spell_out(f"{cell.row} {cell.header}")) | extra, words(caption))
    reply = CITATION.sub(" ", answer)
    answered = values_in(reply)  # a cell holding any of these was read for a number
    unread = [c for c in cells if not c.values & answered]  # the cells a misread may have meant
    asked = words(spell_out(question))
    # A row labelled by a number the question states ("2.0: Crawler Recall 0.8063", asked "with a
    # reward coefficient of 2.0") is named by it like a word: `words` keeps no numbers.
    asked_numbers = values_in(question)
    by_number = {c for c in cells if values_in(c.row) & asked_numbers}
    # A number the question states, restated ("α 设为 0.5 时"), is no reading of a cell.
    restated = {number_of(t) for t in FACT_TOKEN.findall(question) if t[0].isdigit()}
    # The models a number may be given to: the rows' labels and the papers' own ("XYLayoutLM"), not
    # a dataset ("XFUN") the table is about.
    models = {_label_name(c.label) for c in cells} | {name for t in titles if (name := paper_name(t))}
    out: list[Misread] = []
    for sentence in split_sentences(reply):
        clause_start = 0
        for match in FACT_TOKEN.finditer(sentence):
            token = match.group()
            stated = values_in(token) and number_of(token)
            if not stated:
                continue
            # The words leading up to this number, not the whole sentence: in "its crawler
            # recall is 0.7071 and its recall 0.6111" the second number is just "recall".
            clause = sentence[clause_start:match.start()]
            clause_words = words(spell_out(clause))
            said = asked | clause_words
            clause_start = match.end()
            if stated in prose_values or stated in restated:
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
                    (counts := things_in(CONNECTIVE.sub("", after.group(1)))) and counts <= things_in(spell_out(read.header)):
                continue
            # Where the question names several columns of the row, the reply's own words before the
            # number say which it read: u21-12's "精确率（Precision）为 0.38", the row's recall.
            row_cells = [c for c in cells if c.row == read.row and table_text[c] == table_text[read]]
            stated_row = [c for c in row_cells if c is not read and c.values & answered]
            row = [c for c in row_cells if not c.values & answered]
            if column_named := _column_named_instead(read, row, clause_words, lambda h: words(spell_out(h))):
                out.append(Misread(token, _cell_name(read), _cell_name(column_named)))
                continue
            # Of cells that fit alike, name the one with the fewest words the question lacks:
            # "RE / DE" over "RE / XFUN Avg." for the German relation extraction score. A question
            # asking several columns of one row fits each column it does not ask by the words of
            # those it does: where the reply gives, from the same row, a cell fitting as well as the
            # better one, those words are answered (u22-06: Ans-50 fit "answers per query" better
            # than |P| fit "论文数", and the reply gave that as Ans(/Q)'s 2.59).
            better = max(unread, key=lambda c: (fit[c], -len(named[c][0] - said)), default=None)
            if better is not None and fit[better] > fit[read] and not (
                    better in row and any(fit[c] >= fit[better] for c in stated_row)):
                out.append(Misread(token, _cell_name(read), _cell_name(better)))
                continue
            column = [c for c in unread if c.header == read.header and table_text[c] == table_text[read]]
            if named_row := _row_named_instead(read, column, clause, said, words):
                out.append(Misread(token, _cell_name(read), _cell_name(named_row)))
                continue
            if given_for := _name_given_instead(read, clause, question, models):
                out.append(Misread(token, _cell_name(read), None, given_for=given_for))
                continue
            # "XYLayoutLM's relation extraction F1 on FUNSD is 0.6432", read from the XFUN table
            # beside the FUNSD one (unseen11: FUNSD has no RE results, so nothing fits better),
            # or with no FUNSD table given at all (unseen13: "0.6812" from an XFUN ablation). In
            # every eval question a table answers, the table names each name the question does.
            unnamed = [n for n in names if not any(mentions(table_text[c], n) for c in holding)]
            if unnamed:
                naming = [c for c in unread if mentions(table_text[c], unnamed[0])]
                better = max(naming, key=lambda c: (fit[c], -len(named[c][0] - said)), default=None)
                out.append(Misread(token, _cell_name(read), _cell_name(better) if better else None, unnamed[0]))
    return out


REFERENCE = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")  # "DocFormer [2]"


def _label_name(label: str) -> str:
    """A row label as a reply would write it: "+ DCPE" is "DCPE", "DocFormer [2]" is "DocFormer"."""
    return REFERENCE.sub("", label).strip(" +-*†‡")


def _column_named_instead(read: TableCell, row: Sequence[TableCell], said: set[str],
                          header_words: Callable[[str], set[str]]) -> TableCell | None:
    """The cell of `read`'s `row` (its other cells holding no number the reply states) whose
    column header the reply's words before the number (`said`) name in full, where they do not
    name the header of the cell read. A column whose value the reply gives elsewhere is left out:
    "精确率、召回率和 F1 分别为 1.0、0.38 和 0.55" names every column before its list."""
    def named(cell: TableCell) -> bool:
        spelled = header_words(cell.header)
        return bool(spelled) and spelled <= said

    if named(read):
        return None
    return next((c for c in row if named(c)), None)


# Words comparing one model with another: "XYLayoutLM beats the baseline's 0.6432" gives the
# number to the baseline, not to XYLayoutLM.
COMPARING = re.compile(r"\b(?:than|over|beyond|versus|vs|compared|baseline|outperform\w*|improv\w*|beat\w*|"
                       r"surpass\w*|exceed\w*)\b|相比|对比|比|基线|超过|超出|高于|低于|优于|胜过|提升|提高", re.IGNORECASE)


def _name_given_instead(read: TableCell, clause: str, question: str, models: set[str]) -> str | None:
    """The model (one of `models`) the reply's words before the number (`clause`) give it to,
    where the row read is another model's that the question names too: u22-12's "XYLayoutLM 的
    平均 F1 分数是 0.7073", from LayoutXLM's row, asked for both. The row's label must be one
    name alone ("LayoutXLM", not "+ Aug XY Cut & DCPE", a variant the paper's model may be), the
    clause must never name it, and no comparison may stand between the model named and the number."""
    label = _label_name(read.label)
    if names_in(label) != [label] or not mentions(question, label) or mentions(clause, label):
        return None
    placed = [(m.start(), name) for name in names_in(clause) if name in models and mentions(question, name)
              for m in as_word(name).finditer(clause)]
    if not placed:
        return None
    start, name = max(placed)  # the name nearest the number
    if mentions(name, label) or mentions(label, name) or COMPARING.search(clause[start + len(name):]):
        return None
    return name


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
             for m in as_word(name).finditer(clause)]
    if not named:
        return None
    _, _, name, cell = max(named, key=lambda n: n[:2])  # the last named, the longest name at one place
    if mentions(read_name, name):
        added = words(read_name) - words(name)
        if all(any(s.startswith(w) or w.startswith(s) for s in said) for w in added):
            return None
    return cell


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
