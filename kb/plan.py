"""The study plan as data: a Markdown plan parsed into a typed, immutable Plan.

The parser reads plans written like the shipped seed (Chinese headings 第一阶段 … with
numbered topics and 学习内容 / 推荐资源 / 实践项目 fields, then resource lists, advice and
阶段性评估). English labels (Stage 1, Content, Resources, Project) are accepted too, so a
learner can write their own plan in either language.

What Markdown cannot hold (arXiv ids for resources, an English title, description and
keywords per topic) comes from a sidecar TOML file next to the plan; see `load_plan`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources as importlib_resources
from pathlib import Path

from kb.errors import PlanError

CHINESE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

STAGE_HEADING = re.compile(
    r"^###\s+(?:第(?P<zh>[一二三四五六七八九十\d]+)阶段|Stage\s+(?P<en>\d+))\s*[:：]\s*"
    r"(?P<title>.+?)\s*(?:[（(](?P<duration>[^）)]+)[）)])?\s*$"
)
TOPIC_HEADING = re.compile(r"^####\s+(?P<number>\d+)\s*[.、．]\s*(?P<title>.+?)\s*$")
FIELD_LINE = re.compile(r"^-\s+\*\*(?P<label>[^*]+)\*\*\s*[:：]?\s*(?P<value>.*)$")
SUB_BULLET = re.compile(r"^\s{2,}[-*]\s+(?P<text>.+?)\s*$")
LIST_ITEM = re.compile(r"^(?:[-*]|\d+\.)\s+(?P<text>.+?)\s*$")
NUMBERED_BOLD = re.compile(r"^\d+\.\s+\*\*(?P<label>[^*]+)\*\*\s*[:：]\s*(?P<text>.+?)\s*$")
DURATION_MONTHS = re.compile(r"(?P<lo>\d+)\s*(?:[-–~～至]\s*(?P<hi>\d+))?\s*(?:个月|months?)")

FIELD_LABELS = {
    "学习内容": "content",
    "content": "content",
    "推荐资源": "resources",
    "resources": "resources",
    "实践项目": "project",
    "project": "project",
    "practice project": "project",
}
# Second-level sections after the stages, by heading text.
SECTION_KINDS = {
    "学习资源推荐": "resources",
    "resources": "resources",
    "学习建议": "advice",
    "learning suggestions": "advice",
    "advice": "advice",
    "阶段性评估": "assessments",
    "stage assessments": "assessments",
    "assessments": "assessments",
}
RESOURCE_LISTS = {
    "书籍与教材": "books",
    "books": "books",
    "在线课程": "courses",
    "courses": "courses",
    "代码资源": "code",
    "code": "code",
    "数据集": "datasets",
    "datasets": "datasets",
}


@dataclass(frozen=True)
class Resource:
    """A resource the plan names, with its resolution to a paper where one was found."""

    text: str
    arxiv_id: str | None = None
    title_en: str | None = None
    confidence: str | None = None
    kind: str = "other"  # paper, course, blog, platform, book, dataset, none, other


@dataclass(frozen=True)
class Topic:
    number: int
    title: str
    stage: int
    content: str = ""
    resources: tuple[Resource, ...] = ()
    project: str = ""
    title_en: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def surveys(self) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if r.arxiv_id)


@dataclass(frozen=True)
class Stage:
    number: int
    title: str
    duration: str = ""
    min_months: int | None = None
    max_months: int | None = None  # None with a duration means open-ended (持续)
    topics: tuple[Topic, ...] = ()
    assessment: str = ""


@dataclass(frozen=True)
class Plan:
    title: str
    overview: str
    stages: tuple[Stage, ...]
    books: tuple[Resource, ...] = ()
    courses: tuple[Resource, ...] = ()
    code: tuple[Resource, ...] = ()
    datasets: tuple[Resource, ...] = ()
    advice: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(t for s in self.stages for t in s.topics)

    def topic(self, number: int) -> Topic:
        for t in self.topics:
            if t.number == number:
                return t
        raise KeyError(f"the plan has no topic {number}")

    def stage(self, number: int) -> Stage:
        for s in self.stages:
            if s.number == number:
                return s
        raise KeyError(f"the plan has no stage {number}")

    def stage_of(self, topic_number: int) -> Stage:
        return self.stage(self.topic(topic_number).stage)

    @property
    def surveys(self) -> tuple[tuple[int, Resource], ...]:
        """(topic number, resource) for every topic resource resolved to an arXiv id."""
        return tuple((t.number, r) for t in self.topics for r in t.surveys)

    @property
    def all_papers(self) -> tuple[Resource, ...]:
        """Every resource in the plan resolved to an arXiv id, topics first, no repeats."""
        seen: dict[str, Resource] = {}
        for r in (*(r for _, r in self.surveys), *self.books, *self.datasets):
            if r.arxiv_id and r.arxiv_id not in seen:
                seen[r.arxiv_id] = r
        return tuple(seen.values())


# 三, 十, 十二, 二十, 二十三: the stage numbers a plan writes in Chinese. The heading pattern lets
# any run of numerals and digits through ("十2", "二二二"); those name no number.
CHINESE_NUMBER = re.compile(r"(?P<tens>[一二三四五六七八九]?十)?(?P<units>[一二三四五六七八九])?")


def _stage_number(match: re.Match[str]) -> int | None:
    raw = match.group("zh") or match.group("en")
    if raw.isdecimal():  # not isdigit(): int() refuses "²"
        return int(raw)
    number = CHINESE_NUMBER.fullmatch(raw)
    if not number:
        return None
    tens, units = number.group("tens") or "", number.group("units")
    tens_value = 10 * CHINESE_NUMERALS[tens[0]] if len(tens) == 2 else 10 * len(tens)  # "二十", "十", ""
    return tens_value + (CHINESE_NUMERALS[units] if units else 0)


def parse_duration(text: str) -> tuple[int | None, int | None]:
    """'1-2个月' → (1, 2); '2 months' → (2, 2); '持续' / 'ongoing' → (None, None)."""
    m = DURATION_MONTHS.search(text)
    if not m:
        return None, None
    lo = int(m.group("lo"))
    return lo, int(m.group("hi") or lo)


def _strip_bold(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text).strip()


def parse_plan(text: str, source: str = "<plan>") -> Plan:
    """Parse a Markdown study plan. Errors name the line and what was expected there."""
    lines = text.splitlines()
    title = ""
    overview: list[str] = []
    stages: list[dict] = []
    topic: dict | None = None
    current_field: str | None = None
    section: str | None = None  # None while in the stages part
    resource_list: str | None = None
    lists: dict[str, list[str]] = {"books": [], "courses": [], "code": [], "datasets": []}
    advice: list[str] = []
    assessments: list[str] = []

    def fail(lineno: int, expected: str, line: str) -> PlanError:
        return PlanError(f"{source}, line {lineno}: expected {expected}, found {line.strip()[:60]!r}")

    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith("# ") and not title:
            title = line[2:].strip()
            continue
        if line.startswith("## "):
            heading = line[3:].strip()
            key = heading.lower()
            topic, current_field, resource_list = None, None, None
            section = SECTION_KINDS.get(key, SECTION_KINDS.get(heading, "overview" if not stages else "other"))
            continue
        if stage_match := STAGE_HEADING.match(line):
            duration = (stage_match.group("duration") or "").strip()
            lo, hi = parse_duration(duration)
            number = _stage_number(stage_match)
            if number is None:
                raise fail(lineno, f"a stage number like 第{'一二三四五六七八九十'[min(len(stages), 9)]}阶段", line)
            if number != len(stages) + 1:
                raise fail(lineno, f"stage {len(stages) + 1} (stages in order)", line)
            stages.append(
                {"number": number, "title": stage_match.group("title").strip(), "duration": duration,
                 "min_months": lo, "max_months": hi, "topics": []}
            )
            section, topic, current_field = None, None, None
            continue
        if line.startswith("### "):
            heading = line[4:].strip()
            resource_list = RESOURCE_LISTS.get(heading.lower(), RESOURCE_LISTS.get(heading))
            if section == "resources" and resource_list is None:
                raise fail(lineno, "a resource list heading (书籍与教材, 在线课程, 代码资源, 数据集)", line)
            if section is None and stages:
                raise fail(lineno, "a stage heading like '### 第二阶段：核心技术（2-3个月）'", line)
            continue
        if topic_match := TOPIC_HEADING.match(line):
            if not stages or section is not None:
                raise fail(lineno, "a topic inside a stage (a '### 第N阶段' heading first)", line)
            topic = {"number": int(topic_match.group("number")), "title": topic_match.group("title"),
                     "content": "", "resources": [], "project": ""}
            stages[-1]["topics"].append(topic)
            current_field = None
            continue
        if section is None and stages:
            if topic is None:
                raise fail(lineno, "a topic heading like '#### 1. 多模态基本概念'", line)
            if field_match := FIELD_LINE.match(line):
                label = field_match.group("label").strip()
                current_field = FIELD_LABELS.get(label.lower(), FIELD_LABELS.get(label))
                if current_field is None:
                    raise fail(lineno, "a field 学习内容, 推荐资源 or 实践项目", line)
                value = field_match.group("value").strip()
                if current_field == "resources":
                    if value:  # an inline resource ("推荐资源：相关领域研讨会、专题讲座") is one item
                        topic["resources"].append(value)
                elif value:
                    topic[current_field] = value
                continue
            if (sub := SUB_BULLET.match(raw)) and current_field == "resources":
                topic["resources"].append(sub.group("text"))
                continue
            if current_field in ("content", "project") and raw.startswith(" "):
                topic[current_field] = (topic[current_field] + " " + line.strip()).strip()
                continue
            raise fail(lineno, "a '- **字段**：…' line or an indented resource bullet", line)
        if section == "overview":
            overview.append(line.strip())
        elif section == "resources" and resource_list:
            if not (item := LIST_ITEM.match(line)):
                raise fail(lineno, "a list item under a resource heading", line)
            lists[resource_list].append(item.group("text"))
        elif section == "advice":
            if item := LIST_ITEM.match(line):
                advice.append(_strip_bold(item.group("text")))
            elif advice:
                advice[-1] += " " + line.strip()
        elif section == "assessments":
            if (numbered := NUMBERED_BOLD.match(line)) or (numbered := LIST_ITEM.match(line)):
                assessments.append(_strip_bold(numbered.group("text")))
            elif assessments:
                assessments[-1] += " " + line.strip()

    if not title:
        raise PlanError(f"{source}, line 1: expected a '# title' line, found none")
    if not stages:
        raise PlanError(f"{source}: expected at least one stage heading like '### 第一阶段：基础知识（1-2个月）'")
    seen_topics = [t["number"] for s in stages for t in s["topics"]]
    if sorted(seen_topics) != list(range(1, len(seen_topics) + 1)) or seen_topics != sorted(seen_topics):
        raise PlanError(f"{source}: expected topics numbered 1…{len(seen_topics)} in order, found {seen_topics}")
    if assessments and len(assessments) != len(stages):
        raise PlanError(
            f"{source}: expected one 阶段性评估 item per stage ({len(stages)}), found {len(assessments)}"
        )

    built_stages = tuple(
        Stage(
            number=s["number"], title=s["title"], duration=s["duration"], min_months=s["min_months"],
            max_months=s["max_months"], assessment=assessments[i] if assessments else "",
            topics=tuple(
                Topic(number=t["number"], title=t["title"], stage=s["number"], content=t["content"],
                      resources=tuple(Resource(text=r) for r in t["resources"]), project=t["project"])
                for t in s["topics"]
            ),
        )
        for i, s in enumerate(stages)
    )
    return Plan(
        title=title, overview=" ".join(overview), stages=built_stages,
        books=tuple(Resource(text=x, kind="book") for x in lists["books"]),
        courses=tuple(Resource(text=x, kind="course") for x in lists["courses"]),
        code=tuple(Resource(text=x, kind="code") for x in lists["code"]),
        datasets=tuple(Resource(text=x, kind="dataset") for x in lists["datasets"]),
        advice=tuple(advice), source=source,
    )


def apply_sidecar(plan: Plan, sidecar: dict, source: str = "<sidecar>") -> Plan:
    """Attach English topic profiles and resource resolutions from a parsed sidecar."""
    topic_info = {int(t["number"]): t for t in sidecar.get("topics", [])}
    resolved = {r["text"]: r for r in sidecar.get("resources", [])}
    known_texts = {r.text for t in plan.topics for r in t.resources} | {
        r.text for r in (*plan.books, *plan.courses, *plan.code, *plan.datasets)
    }
    for text in resolved:
        if text not in known_texts:
            raise PlanError(f"{source}: resource {text!r} is not named in the plan {plan.source}")

    def resolve(r: Resource) -> Resource:
        info = resolved.get(r.text)
        if not info:
            return r
        return replace(r, arxiv_id=info.get("arxiv_id") or None, title_en=info.get("title_en"),
                       confidence=info.get("confidence"), kind=info.get("kind", r.kind))

    stages = tuple(
        replace(s, topics=tuple(
            replace(t, resources=tuple(resolve(r) for r in t.resources),
                    title_en=topic_info.get(t.number, {}).get("title_en", ""),
                    description=topic_info.get(t.number, {}).get("description", ""),
                    keywords=tuple(topic_info.get(t.number, {}).get("keywords", ())))
            for t in s.topics))
        for s in plan.stages
    )
    return replace(
        plan, stages=stages, books=tuple(resolve(r) for r in plan.books),
        courses=tuple(resolve(r) for r in plan.courses), code=tuple(resolve(r) for r in plan.code),
        datasets=tuple(resolve(r) for r in plan.datasets),
    )


DEFAULT_PLAN = "multimodal-plan.zh.md"


def default_plan_path() -> Path:
    return Path(str(importlib_resources.files("kb") / "data" / DEFAULT_PLAN))


def sidecar_path_for(plan_path: Path) -> Path:
    """`plan.zh.md` → `plan.zh.sidecar.toml` beside it."""
    name = plan_path.name.removesuffix(".md")
    return plan_path.with_name(f"{name}.sidecar.toml")


def load_plan(path: Path | None = None) -> Plan:
    """Load a plan file (default: the shipped multimodal plan) and its sidecar if present."""
    path = path or default_plan_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"cannot read the plan file {path}: {exc.strerror}") from exc
    plan = parse_plan(text, source=str(path))
    sidecar = sidecar_path_for(path)
    if sidecar.exists():
        try:
            data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"{sidecar}: not valid TOML ({exc})") from exc
        plan = apply_sidecar(plan, data, source=str(sidecar))
    return plan
