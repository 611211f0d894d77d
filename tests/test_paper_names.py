"""Which papers a question names (kb.paper_names): the rules, and that setting a title's words
aside never invents words or reorders the question."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kb.paper_names import TitleIndex, name_words, without_terms

TITLES = {
    "1111.2011": "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit",
    "2501.10120": "PaSa: An LLM Agent for Comprehensive Academic Paper Search",
    "2203.06947": "XYLayoutLM: Towards Layout-Aware Multimodal Networks For Visually-Rich Document Understanding",
}


def test_names_are_words_written_like_names() -> None:
    assert name_words("What is the upper critical dimension on the Bethe lattice?") == {"bethe"}
    assert name_words("How does PaSa's Crawler stop?") >= {"pasa", "crawler"}
    assert "what" not in name_words("What values does GPT-4o reach?")  # a capital that only starts the sentence
    assert {"gpt-4o", "gpt", "4o"} <= name_words("What values does GPT-4o reach?")
    assert name_words("XYLayoutLM 在哪些数据集上做了实验？") == {"xylayoutlm"}
    assert name_words("what is late fusion?") == set()


def test_a_question_names_the_paper_whose_title_holds_its_name() -> None:
    index = TitleIndex.build(TITLES)
    assert index.named("Which model do the Bethe lattice authors use?") == {"1111.2011"}
    assert index.named("PaSa 的 Crawler 可以调用哪三个函数？") == {"2501.10120"}
    assert index.named("How does late fusion weigh modalities?") == set()


def test_a_word_in_many_titles_names_no_paper() -> None:
    titles = {f"2401.{i:05d}": f"Vision Transformer study {i}" for i in range(4)} | TITLES
    index = TitleIndex.build(titles)
    assert index.named("How does a Vision Transformer cut images into patches?") == set()
    assert index.named("What does PaSa add over a Vision Transformer?") == {"2501.10120"}


def test_the_focused_query_sets_the_title_words_aside() -> None:
    index = TitleIndex.build(TITLES)
    question = "What is the upper critical dimension for coupled nodes on the Bethe lattice?"
    assert index.focused(question, {"1111.2011"}) == "What is the upper critical dimension for coupled on the"


@given(st.text(max_size=120), st.sets(st.sampled_from(["bethe", "lattice", "node", "pasa", "fusion", "x"])))
def test_setting_words_aside_keeps_the_others_in_order(text: str, dropped: set[str]) -> None:
    kept = without_terms(text, dropped).split()
    words = iter(text.split())
    assert all(any(w == k for w in words) for k in kept)  # a subsequence of the question's words
    assert without_terms(text, set()) == " ".join(text.split())
