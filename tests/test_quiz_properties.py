"""Properties of the quiz's text handling: quotes, answer parsing and exact grading."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from agent.quiz import grade_answer, locate_quote, mcq_choice, normalise, sentences
from kb.cards import Card
from kb.fakes import HashEmbedder

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
SENTENCE = st.lists(WORD, min_size=4, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
OPTIONS = st.lists(st.text(min_size=1, max_size=40).filter(lambda t: normalise(t) != ""), min_size=4, max_size=4,
                   unique_by=normalise)


@given(st.lists(SENTENCE, min_size=1, max_size=8), st.data())
def test_a_sentence_of_the_passage_is_located_as_the_passages_own_text(passage_sentences: list[str],
                                                                       data: st.DataObject) -> None:
    passage = " ".join(passage_sentences)
    quote = data.draw(st.sampled_from(passage_sentences))
    found, overlap = locate_quote(quote, passage)
    assert overlap == 1.0
    assert found in passage  # never the model's words: always a span of the passage


@given(st.text(max_size=300))
def test_sentences_lose_no_words(text: str) -> None:
    assert normalise(" ".join(sentences(text))) == normalise(text)


@given(OPTIONS, st.integers(0, 3), st.text(max_size=20))
@example(["a1", "b2", "c3", "d4"], 0, "¹")  # a superscript digit: isdigit() but not int()-able
@settings(max_examples=200)
def test_multiple_choice_is_right_exactly_when_the_chosen_option_is_the_answer(
        options: list[str], right: int, typed: str) -> None:
    card = Card(type="mcq", question="Q?", answer=options[right], options=options, paper_id="p")
    choice = mcq_choice(card, typed)
    assert choice in options or choice == typed.strip()
    grade = grade_answer(card, typed, HashEmbedder())
    assert grade.correct == (normalise(choice) == normalise(options[right]))
    assert grade.correct == (grade.suggested_rating == 3)


@given(OPTIONS, st.integers(0, 3))
def test_the_right_letter_is_always_right(options: list[str], right: int) -> None:
    card = Card(type="mcq", question="Q?", answer=options[right], options=options, paper_id="p")
    assert grade_answer(card, "abcd"[right], HashEmbedder()).correct
    assert grade_answer(card, str(right + 1), HashEmbedder()).correct


@given(st.lists(SENTENCE, min_size=2, max_size=6), st.sampled_from([" ", "\n", "\n\n", "  "]), st.data())
def test_the_located_quote_is_verbatim_whatever_the_line_breaks(parts: list[str], gap: str,
                                                                data: st.DataObject) -> None:
    passage = gap.join(parts)
    first = data.draw(st.integers(0, len(parts) - 2))
    found, overlap = locate_quote(parts[first] + " " + parts[first + 1], passage)
    assert overlap == 1.0 and found in passage
