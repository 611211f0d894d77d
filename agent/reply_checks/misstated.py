"""Numbers a passage states as something else than the reply takes them for: a gain given as
a score, another system's number, another setting's value, a count of another thing, a number
of another dataset, one number given to each of several things."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.reply_checks.cells import table_cells
from agent.reply_checks.counts import count_asked, counted_as, counted_instead
from agent.reply_checks.equations import settings_in
from agent.reply_checks.reading import (
    CLAUSE_END,
    COUNTED,
    FACT_TOKEN,
    REPLY_SENTENCE_END,
    SENTENCE_BOUND,
    STANDALONE_NUMBER,
    around,
    as_word,
    clause_at,
    enclosing,
    mentions,
    names_in,
    new_numbers_in,
    number_of,
    occurrences_of,
    paper_name,
    squashed,
    uncited,
)
from kb.retrieval import render_english
from kb.terms import terms

# A number a passage gives as a change: "outperforms Google by 37.78%", "the improvement comes
# to 1.5%", "+0.9", "0.1% F1 score improvement", "1.2 points higher".
CHANGE_BEFORE = re.compile(
    r"(?:\bby|\b(?:improvement|gain|increase|decrease|drop|boost|reduction)s?"
    r"(?:\s+(?:of|comes?\s+to|is|was|reaches|reached))?|\+)\s*(?:about|around|roughly|nearly|up\s+to|only)?\s*$",
    re.IGNORECASE)
CHANGE_AFTER = re.compile(
    r"^\s*%?\s*(?:points?\s+)?(?:(?:[\w@-]+\s+){0,2}?(?:improvement|gain|increase|decrease|drop|boost)s?\b"
    r"|(?:higher|lower|better|worse)\b)",
    re.IGNORECASE)
# A question (or a reply's words around a number) about a change: then a gain is the answer.
# Generous on purpose: a false match here only lets a reply through, as before this check.
ABOUT_CHANGE = re.compile(
    r"improv|gain|increas|decreas|drop|outperform|surpass|exceed|better|worse|higher|lower|margin|"
    r"differen|more than|less than|compar|relative|boost|提升|提高|增加|增长|减少|下降|降低|超过|超出|高出|"
    r"领先|相比|比|差|增益|改进|改善|涨|降",
    re.IGNORECASE)
# A reply's clause that gives a number as a change or beside another's: "37.78% more", "ahead by".
CHANGE_WORDS = re.compile(
    rf"{ABOUT_CHANGE.pattern}|\b(?:more|less|fewer|ahead|behind|above|below|beyond|over|versus|vs)\b|多|少|落后",
    re.IGNORECASE)

# "the baseline LayoutXLM (0.6432)", "LayoutXLM [29] (0.6432)": a number in brackets right after
# a name is that name's.
OWNED_BY = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z][\w-]*[A-Za-z0-9])\s*(?:\[\d+(?:\s*,\s*\d+)*\]\s*)?\(\s*$")
CLOSES = re.compile(r"\s*\)")


@dataclass(frozen=True)
class Misstated:
    number: str  # as the reply states it
    source: str  # the passage's words around it: "outperforms Google by 37.78% in Recall@20"
    counted: str = ""  # what the reply counts ("token") when the passage counts something else
    setting: str = ""  # the passage's setting for it ("d = 2") when the question asks another ("d = 1")
    owner: str = ""  # whose number the passage says it is ("LayoutXLM") when the reply gives it to another
    bound: str = ""  # the passage's bound holding it ("l > 1") when the reply gives it as the value
    dataset: str = ""  # the dataset the question asks about, when no passage stating the number names it
    others: str = ""  # the passage's other counts of the same thing ("149") when the reply gives the number to each
    copied: str = ""  # the numbers of the passage sentence the reply copies ("0.1%") when it swaps in another
    factor: str = ""  # the factor the passage multiplies the number by ("1024"), when the reply gives none
    swapped: str = ""  # the other of two things the reply gives numbers to "respectively", whose number this is
    table: str = ""  # the table row giving the quantity another value ("Table 4 on PPO: “learning rate: Value 1e-6”")


# The numbers listed before one: "33.80%, 38.83% and " before "42.64%", "37.78% in Recall@20 and ".
# A list's comma is followed by a space, a number's ("12,989") by a digit: were either comma
# allowed to be the other, "1,2,3,…" (a reference list) would take exponential time to reject.
LISTED_BEFORE = re.compile(r"(?:[-+]?\d+(?:[.,]\d+)*%?(?:\s+in\s+[\w@-]+)?(?:\s*,\s+(?:and\s+)?|\s+and\s+))+$")


def _as_change(text: str, start: int, end: int) -> bool:
    """Whether the number at text[start:end] is stated as a change ("by 37.78%"), on its own or
    in a list ("an improvement of 33.80%, 38.83% and 42.64%")."""
    before = LISTED_BEFORE.sub("", text[max(0, start - 120):start])
    return bool(CHANGE_BEFORE.search(before[-40:]) or CHANGE_AFTER.match(text[end:end + 40]))


def _owner(text: str, start: int, end: int) -> str | None:
    """The name the number at text[start:end] belongs to when it stands in brackets right after
    one: "the baseline LayoutXLM (0.6432)" gives 0.6432 to LayoutXLM."""
    named = OWNED_BY.search(text[max(0, start - 60):start])
    if named and CLOSES.match(text, end) and names_in(named.group(1)):
        return named.group(1)
    return None


def _given_to_another(reply: str, start: int, end: int, question: str,
                      held: Sequence[tuple[str, int, int]]) -> str | None:
    """The passage's owner of the number at reply[start:end] when every passage stating it
    gives it to one name in brackets, and the reply's sentence gives it to a name of the
    question instead, never naming the owner. A comparison (in the question or that sentence)
    names other systems' numbers rightly, so it is left alone."""
    owners = {_owner(t, s, e) for t, s, e in held}
    owner = owners.pop() if len(owners) == 1 else None
    if owner is None:
        return None
    first, last = enclosing(reply, start, end, REPLY_SENTENCE_END)
    sentence = reply[first:last]
    # The number is the next one after a name of the question: "XYLayoutLM achieves a 0.6432",
    # not "XYLayoutLM reaches 0.6779 while the baseline has 0.6432".
    before = reply[first:start]
    named = [(m.end(), name) for name in names_in(question) for m in as_word(name).finditer(before)]
    if not named:
        return None
    after_name, name = max(named)
    between = before[after_name:]
    if mentions(name, owner) or any(t[0].isdigit() for t in FACT_TOKEN.findall(between)):
        return None
    compared = (mentions(question, owner) or ABOUT_CHANGE.search(question)
                or mentions(sentence, owner) or ABOUT_CHANGE.search(sentence))
    # A comparison names other systems' numbers rightly, so there the number must follow the
    # name with nothing between them that speaks of another system: u19-11's "XYLayoutLM
    # achieves an average F1 score of 0.6432 …, an improvement over the baseline LayoutXLM
    # (0.6432)", not "XYLayoutLM improves on the baseline's 0.6432".
    if compared and (OTHER_SYSTEM.search(between) or mentions(between, owner)):
        return None
    return owner


# Words between a system's name and a number that make the number another system's.
OTHER_SYSTEM = re.compile(
    rf"{CHANGE_WORDS.pattern}|baseline|previous|prior|original|other|whereas|while|compared|than|"
    r"基线|基准|原|之前|而",
    re.IGNORECASE)


SETTING_NEAR = 160  # characters either side of a number searched for the setting it belongs to


def _other_setting(text: str, start: int, end: int, asked: Mapping[str, set[float]]) -> tuple[int, int] | None:
    """Where, near the number at text[start:end], a symbol the question sets is set to another
    value than the question's, when no setting there has the question's value."""
    first = max(0, start - SETTING_NEAR)
    near = [(symbol, value, match) for symbol, value, match in settings_in(text[first:end + SETTING_NEAR])
            if symbol in asked]
    if not near or any(value in asked[symbol] for symbol, value, _ in near):
        return None
    match = near[0][2]
    return first + match.start(), first + match.end()


# A dataset a question asks about: "on RealScholarQuery", "the FUNSD dataset", "在 XFUN 中文子集上",
# "AutoScholarQuery 测试集". A name of two or more capitals and four or more characters, so "on
# SER" or "on GPU" is none; a paper's own name ("PaSa") is left out by the caller.
_DATASET_NAME = r"[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9-]*[A-Za-z0-9]"
DATASET_ASKED = re.compile(
    rf"\bon\s+(?:the\s+)?({_DATASET_NAME})(?![\w-])"
    rf"|({_DATASET_NAME})\s+(?:benchmark|dataset|data\s+set|test\s+set|subset)s?\b"
    rf"|在\s*({_DATASET_NAME})\s*(?:的?\s*[\u4e00-\u9fff]{{0,4}}(?:数据集|基准|测试集|子集)\s*)?上"
    rf"|({_DATASET_NAME})\s*(?:数据集|基准|测试集|子集)")


def datasets_asked(question: str, papers: Sequence[str] = ()) -> list[str]:
    """The datasets `question` asks about, by name; `papers`' names (what their titles open
    with) are not datasets."""
    names = [name for found in DATASET_ASKED.findall(question) for name in found if len(name) > 3]
    own = [name.lower() for title in papers if (name := paper_name(title))]
    models = tuple(f"{name}-" for name in own)  # "PaSa-7b"
    return [name for name in dict.fromkeys(names) if name.lower() not in own and not name.lower().startswith(models)]


# One number given to each of several things: "训练集和测试集各包含50份", "both contain 50 forms".
EACH_BEFORE = re.compile(r"(?:各|\beach\b|\bboth\b)[^。.!?;；\n\d]{0,16}$", re.IGNORECASE)
# A passage giving a number to each of its own things: "Each language includes 199 forms".
EACH_OWN_BEFORE = re.compile(r"\b(?:each|every)\b[^.!?;\n\d]{0,40}$", re.IGNORECASE)


def _each_otherwise(text: str, start: int, end: int, listed: set[str]) -> list[str]:
    """The other numbers `text`'s sentence holding text[start:end] gives the same thing: "the
    training set includes 149 forms, and the test set includes 50 forms" gives "149" beside 50.
    Where the passage itself gives the number to each of its own things ("Each language includes
    199 forms, where the training set includes 149 forms, …"), only the numbers it gives to
    things the reply lists (`listed`, their terms) and its own "each" does not name: "训练集和测试集
    各包含199份" is wrong there (u24-11), "中文和英文各包含199份" is not."""
    first, last = enclosing(text, start, end, SENTENCE_BOUND)
    counted = COUNTED.match(text[end:])
    if not counted:
        return []
    thing = counted.group(1).split(" ")[0]
    stated = number_of(text[start:end])
    others = [m for m in STANDALONE_NUMBER.finditer(text, first, last)
              if text[m.end():].startswith(f" {thing}") and number_of(m.group()) != stated]
    if each := EACH_OWN_BEFORE.search(text[first:start]):
        own = set(terms(text[first + each.start():start]))
        others = [m for m in others
                  if (set(terms(text[enclosing(text, m.start(), m.end(), CLAUSE_END)[0]:m.start()])) - own) & listed]
    return [m.group() for m in others]


def misstated_numbers(answer: str, question: str, sources: Sequence[str],
                      papers: Sequence[str] = (), glossary: Mapping[str, str] | None = None) -> list[Misstated]:
    """Numbers in `answer` that the passages state only in their prose, and only as something
    else than the reply takes them for:
    - a change given as the value asked: "its SER F1 is 1.5%" over "after Augmented XY Cut, the
      improvement comes to 1.5%", when the reply's clause does not speak of a change and the
      question does not either, or asks for the value as well;
    - a count of another thing: "12,989 tokens" over "12,989 training data", when the question
      asks for tokens and no passage says "token" in the clause holding that number;
    - a value of another setting: the question asks for d = 1, and every passage stating the
      number sets d to something else around it ("C = 1/8, the standard result for a d = 2
      system");
    - another's number: "XYLayoutLM achieves 0.6432" over "beyond the baseline LayoutXLM
      (0.6432)", when the question does not ask about LayoutXLM or a comparison;
    - a number of another evaluation: the question asks about a dataset by name and no passage
      stating the number names any dataset asked — u16-25's Selector "F1 score of 85%" for
      RealScholarQuery, from a passage about a 200-pair Selector benchmark. `papers`: titles
      of the papers given, whose names are no datasets;
    - a count of a narrower thing: a reply not saying what it counts, "76" for "how many
      relevant papers per query", when every passage stating it counts the same kind of thing
      with a word the question does not say ("review 76 candidate papers"). `glossary`: how a
      Chinese question's words read in English.
    Numbers the question states, years, and (but for another's number) numbers any table cell
    holds (`misread_cells` judges those) are left alone."""
    tables = [table_cells(text) for text in sources]
    in_tables = {value for cells, _ in tables for cell in cells for value in cell.values}
    prose = [text for _, text in tables]
    asked = set(terms(question))
    reply, marks = uncited(answer)
    asked_settings: dict[str, set[float]] = {}
    for symbol, value, _ in settings_in(question):
        asked_settings.setdefault(symbol, set()).add(value)
    datasets = datasets_asked(question, papers)
    counting = count_asked(question, glossary or {})
    out: list[Misstated] = []
    for match, stated in new_numbers_in(reply, question):
        token = match.group()
        held = [(text, start, end) for text in prose for start, end in occurrences_of(text, stated)]
        if not held:
            continue  # no passage states it: `unsupported_facts` judges that
        text, start, end = held[0]
        # u11-12 (unanswerable): XYLayoutLM's RE F1 "on FUNSD" given as the baseline's XFUN
        # score from "beyond the baseline LayoutXLM (0.6432)". The number is a table cell too
        # (LayoutXLM's row), which `misread_cells` leaves to the prose.
        if owner := _given_to_another(reply, match.start(), match.end(), question, held):
            out.append(Misstated(token, around(text, start, end), owner=owner))
            continue
        if stated in in_tables:
            continue
        # u16-25 (unanswerable): the Selector's 85% is an F1 on its own benchmark, in a passage
        # that never says RealScholarQuery. Over the eval's answerable questions, every gold
        # number's chunk names the dataset its question asks about.
        holders = [squashed(source) for source, text in zip(sources, prose, strict=True)
                   if occurrences_of(text, stated)]
        if datasets and not any(squashed(name) in holder for name in datasets for holder in holders):
            out.append(Misstated(token, around(text, start, end), dataset=datasets[0]))
            continue
        # u20-10 (blind): "训练集和测试集各包含50份" over "the training set includes 149 forms, and
        # the test set includes 50 forms".
        clause_start, _ = enclosing(reply, match.start(), match.end(), CLAUSE_END)
        if each := EACH_BEFORE.search(reply[clause_start:match.start()]):
            # What the reply gives the number to each of: "每种语言的训练集和测试集" before "各".
            listed = set(terms(render_english(reply[clause_start:clause_start + each.start()], glossary or {})))
            # A sentence naming none of them is another count of the same number ("FUNSD contains
            # 199 annotated forms" beside XFUN's "Each language includes 199 forms", u24-11).
            naming = [(t, s, e) for t, s, e in held
                      if listed & set(terms(t[slice(*enclosing(t, s, e, SENTENCE_BOUND))]))] or held
            if all(others := [_each_otherwise(t, s, e, listed) for t, s, e in naming]):
                out.append(Misstated(token, around(*naming[0]), others=", ".join(others[0])))
                continue
        # u10-07 (unanswerable): asked for d = 1, the model gave the d = 2 fit "0.1250", a
        # figure tick beside "C = 1/8, the standard result for a d = 2 system".
        if asked_settings:
            elsewhere = [where for t, s, e in held if (where := _other_setting(t, s, e, asked_settings))]
            if len(elsewhere) == len(held):
                first, last = elsewhere[0]
                out.append(Misstated(token, around(text, first, last), setting=" ".join(text[first:last].split())))
                continue
        near = reply[max(0, match.start() - 15):match.end() + 15]
        # A question about a change may still ask for the value too ("what Recall@20 does
        # PaSa-7b reach, and how does that compare with …", u16-02): then the reply's own clause
        # must say the number is a change.
        if (not (ABOUT_CHANGE.search(question) and CHANGE_WORDS.search(clause_at(reply, match.start(), match.end())))
                and not ABOUT_CHANGE.search(near) and not _as_change(reply, match.start(), match.end())
                and all(_as_change(t, s, e) for t, s, e in held)):
            out.append(Misstated(token, around(text, start, end)))
            continue
        # Words after a citation mark are not what the number before it counts: the model copied a
        # footnote's "10" in "…的低能有效理论。10 [2] Bethe 格点论文…" (u21-21, a right answer refused).
        after = reply[match.end():]
        cited = any(match.end() <= mark < match.end() + len(after) - len(after.lstrip()) for mark in marks)
        counted = None if cited else counted_as(after, asked)
        if counted and not any(counted[1] <= set(terms(clause_at(t, s, e))) for t, s, e in held):
            out.append(Misstated(token, around(text, start, end), counted[0]))
        elif not counted and counting and all(counted_instead(t, e, counting) for t, s, e in held):
            out.append(Misstated(token, around(text, start, end), counting.words))
    return out
