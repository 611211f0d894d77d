from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import PlanError
from kb.plan import load_plan, parse_duration, parse_plan, sidecar_path_for

from .conftest import SHARED


def test_seed_plan_parses_to_five_stages_twelve_topics_twenty_surveys() -> None:
    plan = load_plan()
    assert [s.number for s in plan.stages] == [1, 2, 3, 4, 5]
    assert [t.number for t in plan.topics] == list(range(1, 13))
    assert [len(s.topics) for s in plan.stages] == [2, 3, 3, 2, 2]
    assert len(plan.surveys) == 20
    assert plan.stage(1).title == "基础知识" and plan.stage(1).duration == "1-2个月"
    assert (plan.stage(1).min_months, plan.stage(1).max_months) == (1, 2)
    assert plan.stage(5).duration == "持续" and plan.stage(5).max_months is None
    assert plan.stage(2).assessment.startswith("掌握主要融合技术")


def test_seed_plan_topics_carry_english_profiles_and_resolved_ids() -> None:
    plan = load_plan()
    fusion = plan.topic(3)
    assert fusion.title == "多模态融合与对齐技术"
    assert fusion.title_en == "Multimodal fusion and alignment"
    assert "late fusion" in fusion.keywords and fusion.description
    assert [r.arxiv_id for r in fusion.resources] == ["2502.01524", "2502.10816"]
    assert all(t.title_en and t.description and len(t.keywords) >= 8 for t in plan.topics)
    assert fusion.project == "设计并实现不同融合策略的多模态情感分析系统"
    # Topic 9 names three surveys; the confidence of the resolution is kept.
    assert [r.arxiv_id for r in plan.topic(9).surveys] == ["2502.11211", "2501.11260", "2412.00465"]
    assert plan.topic(6).surveys[0].confidence.startswith("likely")
    # An inline resource stays one item, not split at 、.
    assert [r.text for r in plan.topic(12).resources] == ["相关领域研讨会、专题讲座"]


def test_seed_plan_lists_books_courses_code_datasets_and_advice() -> None:
    plan = load_plan()
    assert [r.arxiv_id for r in plan.books] == ["1705.09406", "2301.04856", None]
    assert len(plan.courses) == 3 and len(plan.code) == 4 and len(plan.datasets) == 5
    assert len(plan.advice) == 5 and "每周至少阅读1-2篇" in plan.advice[3]


def test_shipped_plan_is_the_shared_plan_verbatim() -> None:
    shared = SHARED / "plan" / "multimodal-plan.zh.md"
    if not shared.exists():
        pytest.skip("../shared is absent")
    shipped = Path(load_plan().source)
    assert shipped.read_bytes() == shared.read_bytes()


MINIMAL = """# My plan

### Stage 1: Basics (2 months)

#### 1. Vision
- **Content**: convolutions
- **Resources**:
  - A good survey
- **Project**: build a classifier

#### 2. Language
- **Content**: tokens
- **Project**: build a tagger
"""


def test_an_english_plan_parses_too() -> None:
    plan = parse_plan(MINIMAL)
    assert plan.title == "My plan"
    assert plan.stage(1).title == "Basics" and plan.stage(1).min_months == 2
    assert plan.topic(1).resources[0].text == "A good survey"
    assert plan.topic(2).project == "build a tagger"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (MINIMAL.replace("#### 2. Language", "#### 3. Language"), None, "numbered 1…2 in order"),
        (MINIMAL.replace("- **Content**: tokens", "- **Colour**: tokens"), 12, "a field 学习内容"),
        (MINIMAL.replace("### Stage 1", "### Stage 2"), 3, "stage 1 (stages in order)"),
        # Found by the fuzz pass: a heading whose numerals name no number crashed the parser.
        (MINIMAL.replace("### Stage 1", "### 第十2阶段"), 3, "a stage number like 第一阶段"),
        (MINIMAL.replace("### Stage 1", "### 第二十阶段"), 3, "stage 1 (stages in order)"),
        (MINIMAL.replace("#### 1. Vision\n", ""), 5, "a topic heading"),
        ("just some text\n", None, "'# title'"),
    ],
)
def test_a_broken_plan_names_the_line_and_what_was_expected(text: str, line: int | None, expected: str) -> None:
    with pytest.raises(PlanError) as err:
        parse_plan(text, source="myplan.md")
    message = str(err.value)
    assert message.startswith("myplan.md")
    assert expected in message
    if line is not None:
        assert f"line {line}:" in message


def test_a_learner_can_load_their_own_plan_with_a_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "vision.md"
    path.write_text(MINIMAL, encoding="utf-8")
    sidecar_path_for(path).write_text(
        '[[topics]]\nnumber = 1\ntitle_en = "Vision"\nkeywords = ["cnn"]\n\n'
        '[[resources]]\ntext = "A good survey"\narxiv_id = "1234.5678"\nconfidence = "certain"\n',
        encoding="utf-8",
    )
    plan = load_plan(path)
    assert plan.topic(1).keywords == ("cnn",)
    assert plan.surveys[0][1].arxiv_id == "1234.5678"


def test_a_sidecar_naming_a_resource_the_plan_lacks_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "vision.md"
    path.write_text(MINIMAL, encoding="utf-8")
    sidecar_path_for(path).write_text('[[resources]]\ntext = "Not in the plan"\n', encoding="utf-8")
    with pytest.raises(PlanError, match="Not in the plan"):
        load_plan(path)


def test_a_missing_plan_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan file"):
        load_plan(tmp_path / "nope.md")


@pytest.mark.parametrize(("text", "months"), [("1-2个月", (1, 2)), ("2 months", (2, 2)), ("持续", (None, None))])
def test_durations(text: str, months: tuple) -> None:
    assert parse_duration(text) == months


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#-*: 1234.\n第一二阶段（）()个月**学习内容推荐资源abc")), max_size=400))
def test_any_text_either_parses_or_raises_a_plan_error(text: str) -> None:
    try:
        plan = parse_plan(text)
    except PlanError as exc:
        assert str(exc)
    else:
        assert plan.stages and all(t.number >= 1 for t in plan.topics)
