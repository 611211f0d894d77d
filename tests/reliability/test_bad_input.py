"""Bad input never crashes the plan parser, the arXiv Atom path or the config loader: each
input ends in a result or a named error that says where (property-based, hypothesis).
The same oracles drive the atheris fuzz pass of `make reliability` (tests/reliability/fuzz.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.plan import default_plan_path
from paperplan.settings import ConfigError, Settings, load_settings
from tests.reliability import oracles
from tests.reliability.helpers import atom_entry, atom_feed

SETTINGS = settings(max_examples=int(os.environ.get("RELIABILITY_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PLAN_LINES = default_plan_path().read_text(encoding="utf-8").splitlines()


@st.composite
def mutated_plans(draw: st.DrawFn) -> str:
    """The shipped plan with lines dropped, repeated, swapped or replaced by junk."""
    lines = list(PLAN_LINES)
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "swap", "junk", "cut"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "junk":
            lines[i] = draw(st.text(max_size=80))
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        if not lines:
            break
    return "\n".join(lines)


@SETTINGS
@given(st.one_of(mutated_plans(), st.text(max_size=400)))
def test_plan_parser_returns_a_plan_or_a_named_error(text: str) -> None:
    oracles.plan(text)


def test_the_shipped_plan_parses() -> None:
    from kb.plan import parse_plan

    assert len(parse_plan("\n".join(PLAN_LINES)).topics) == 12


ENTRY_VALUES = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="<&"), max_size=40)


@st.composite
def atom_documents(draw: st.DrawFn) -> bytes:
    entries = [atom_entry(paper_id=draw(st.sampled_from(["2501.00001", "hep-th/9901001", "x", ""])),
                          title=draw(ENTRY_VALUES), summary=draw(ENTRY_VALUES),
                          version=draw(st.integers(0, 12)),
                          published=draw(st.sampled_from(["2025-01-01T00:00:00Z", "", "yesterday", "2025-13-45"])),
                          pdf=draw(st.sampled_from(["", "javascript:alert(1)", "http://evil.example/x.pdf"])))
               for _ in range(draw(st.integers(0, 3)))]
    doc = atom_feed(*entries)
    cut = draw(st.integers(0, len(doc)))
    return doc if draw(st.booleans()) else doc[:cut] + draw(st.binary(max_size=30))


@SETTINGS
@given(st.one_of(atom_documents(), st.binary(max_size=300)))
def test_atom_path_returns_papers_or_a_named_error(content: bytes) -> None:
    oracles.atom(content)


SECTION_KEYS = {name: list(info.annotation.model_fields) for name, info in Settings.model_fields.items()}  # type: ignore[union-attr]
TOML_VALUES = st.sampled_from(['""', "1", "-3", "0.5", "true", '"2025-01-01"', '["cs.CV"]', "[1, 2]", "{a = 1}",
                               '"http://127.0.0.1:1"', '"' + "x" * 300 + '"'])


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        section = draw(st.sampled_from([*SECTION_KEYS, "kbb", "llm.extra", ""]))
        lines.append(f"[{section}]")
        keys = SECTION_KEYS.get(section, ["x"])
        for _ in range(draw(st.integers(0, 3))):
            key = draw(st.one_of(st.sampled_from(keys), st.text(alphabet="abcdefghij_", min_size=1, max_size=8)))
            lines.append(f"{key} = {draw(TOML_VALUES)}")
    text = "\n".join(lines).encode()
    return text if draw(st.booleans()) else text + draw(st.binary(max_size=20))


@SETTINGS
@given(st.one_of(config_files(), st.binary(max_size=200)))
def test_config_loader_returns_settings_or_a_named_error(data: bytes) -> None:
    oracles.config(data)


def _typo(key: str, how: int) -> str:
    i = how % len(key)
    return [key[:i] + key[i + 1:], key[:i] + key[i] * 2 + key[i:], key + "s", key.replace("_", "")][how % 4]


@SETTINGS
@given(st.sampled_from([(s, k) for s, keys in SECTION_KEYS.items() for k in keys]), st.integers(0, 1000))
def test_a_config_typo_names_the_key_and_the_file(tmp_path: Path, section_key: tuple[str, str], how: int) -> None:
    section, key = section_key
    typo = _typo(key, how)
    if typo in SECTION_KEYS[section]:
        return
    path = tmp_path / "user.toml"
    path.write_text(f"[{section}]\n{typo} = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(repo_config=None, user_config=path)
    message = str(caught.value)
    assert str(path) in message and repr(typo) in message and f"[{section}]" in message


def test_an_env_typo_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAPERPLAN_INGEST__PAGESIZE", "5")
    with pytest.raises(ConfigError, match=r"PAPERPLAN_INGEST__PAGESIZE.*'pagesize'.*did you mean 'page_size'"):
        load_settings(repo_config=None, user_config=tmp_path / "user-config.toml")


def test_a_bad_value_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "user.toml"
    path.write_text('[ingest]\npage_size = "many"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"user\.toml: ingest\.page_size"):
        load_settings(repo_config=None, user_config=path)


# What replies and passages are made of where the checks look hardest: numbers in every form,
# lists of them, table rows, change words, brackets, settings, citations and Chinese.
REPLY_PIECES = st.sampled_from([
    "0.8335", "12,989", "1,2,3", "33.80%, 38.83% and", "1e-5", "+1.5%", "(0.6432)", "[1]", "[2, 3]", "by", "an improvement of",
    "higher", "d = 1", "C = 1/8", "α = 2.0", "g_c = 2", "XYLayoutLM", "LayoutXLM [29] (", "PaSa-7b", "Recall@20",
    "FUNSD", "SER", "tokens", "个 token", "199 个单词（token）", "提升了", "是", "。", ". ", ", ", "; ", "\n", "(", ")",
    "Table 2. Comparison on FUNSD w.r.t F1.", "PaSa-7b: Recall@20 0.7931; Precision 0.6022", "learning rate: Value 1e-6",
    "Aug XY Cut (0.5, 0.5, 5): F1 0.8335", "is not stated", "**Model**", "- ", "SER denotes semantic entity recognition",
])
PIECE_LISTS = st.lists(st.one_of(REPLY_PIECES, st.text(max_size=12)), max_size=30)


@st.composite
def replies_over_passages(draw: st.DrawFn) -> bytes:
    """`question NUL reply NUL passages…`, the reply mostly made of the passages' own pieces
    (their numbers, their rows), as a model's reply is."""
    passages = draw(st.lists(PIECE_LISTS, max_size=3))
    from_passages = [piece for passage in passages for piece in passage] or ["0.8335"]
    reply = draw(st.lists(st.one_of(st.sampled_from(from_passages), REPLY_PIECES), max_size=30))
    question = " ".join(draw(PIECE_LISTS))
    # A passage's table rows are lines of their own.
    texts = [draw(st.sampled_from([" ", "\n"])).join(passage) for passage in passages]
    return "\0".join([question, " ".join(reply), *texts]).encode("utf-8", "surrogatepass")


@SETTINGS
@given(replies_over_passages())
def test_reply_checks_flag_only_what_the_reply_says(data: bytes) -> None:
    oracles.reply(data)
