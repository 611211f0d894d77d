"""What a model's reply is checked for before it is shown as an answer.

The reply is read back against the passages the model was given: its [n] marks and
sentences, a reply that only restates the question or says the passages are silent, names and
numbers no passage holds (they came from the model's memory), a table cell read from the wrong
row or column, and a number taken for something its passage does not say it is (a gain read
as a score, a count of training examples read as tokens). Pure functions of text, so each is
tested on its own; `agent.ask` decides what the learner sees.

One module per kind of fault, over `reading` (how every check reads a text):
`non_answers` (silent, echoing, numberless or lawless replies), `unsupported` (facts no passage holds,
with `equations` for settings like "g_c = 2"), `cells` (a table cell misread), `misstated`
(a number taken for something else, with `counts` for what a number counts), `bounds` (a bound
given as a value), `borrowed` (another paper's fact), `copied` (a passage's sentence copied
with another number in it), `contradicted` (a prose number given for what a table lists
otherwise), `respectively` (two numbers given to two things in the wrong order) and `scaled` (a
number given without the factor its passage multiplies it by).
"""

from agent.reply_checks.borrowed import borrowed_facts
from agent.reply_checks.bounds import bounds_given_as_values
from agent.reply_checks.cells import Misread, TableCell, abbreviations, misread_cells, table_cells
from agent.reply_checks.contradicted import numbers_a_table_contradicts
from agent.reply_checks.copied import swapped_numbers
from agent.reply_checks.misstated import Misstated, datasets_asked, misstated_numbers
from agent.reply_checks.non_answers import gives_no_number, restates, says_absent, states_no_law, unnamed_symbols
from agent.reply_checks.reading import CITATION, cited_numbers, mentions, paper_name, split_sentences
from agent.reply_checks.respectively import numbers_given_in_swapped_order
from agent.reply_checks.scaled import numbers_missing_their_factor
from agent.reply_checks.unsupported import unsupported_facts

__all__ = [
    "CITATION",
    "Misread",
    "Misstated",
    "TableCell",
    "abbreviations",
    "borrowed_facts",
    "bounds_given_as_values",
    "cited_numbers",
    "datasets_asked",
    "gives_no_number",
    "mentions",
    "misread_cells",
    "misstated_numbers",
    "numbers_a_table_contradicts",
    "numbers_given_in_swapped_order",
    "numbers_missing_their_factor",
    "paper_name",
    "restates",
    "says_absent",
    "split_sentences",
    "states_no_law",
    "swapped_numbers",
    "table_cells",
    "unnamed_symbols",
    "unsupported_facts",
]
