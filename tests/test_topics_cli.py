"""`paperplan topics …` through the command line, and the mapper with the real embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb import papers
from kb.fakes import HashEmbedder
from kb.types import Paper
from paperplan.cli import app
from paperplan.wiring import Services, build_services


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's services with the hash embedder (the real one is tested below, once)."""
    monkeypatch.setattr(Services, "embedder", property(lambda self: HashEmbedder()))


def test_classify_reads_and_writes_json_lines(hashed: None, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "title": "Denoising Diffusion Probabilistic Models"}) + "\n"
                      + json.dumps({"id": "b", "title": "LoRA: Low-Rank Adaptation", "abstract": "Adapters."}) + "\n",
                      encoding="utf-8")
    result = CliRunner().invoke(app, ["topics", "classify", str(source)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in lines] == ["a", "b"]
    for r in lines:
        assert 1 <= len(r["topics"]) <= 3
        assert all(set(t) == {"topic", "score", "reason"} and 0 <= t["score"] <= 1 for t in r["topics"])


def test_classify_from_stdin_skips_bad_lines_and_says_which(hashed: None) -> None:
    stdin = '{"id": "a", "title": "Visual Instruction Tuning"}\nnot json\n{"id": "c"}\n'
    result = CliRunner().invoke(app, ["topics", "classify", "-"], input=stdin)
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a"]
    assert "stdin, line 2: not JSON" in result.stderr and "stdin, line 3" in result.stderr


def test_classify_names_a_missing_file(hashed: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["topics", "classify", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1 and "nope.jsonl" in result.stderr


def test_map_remaps_the_kb_and_keeps_confirmations(hashed: None) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    services = build_services()
    papers.upsert_paper(services.db, Paper(id="2006.11239", title="Denoising Diffusion Probabilistic Models",
                                           source="arxiv"))
    services.db.close()
    result = runner.invoke(app, ["topics", "map", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["papers"] >= 21 and "2006.11239" in report["papers_topics"]
    assert runner.invoke(app, ["topics", "correct", "2006.11239", "1", "6"]).exit_code == 0
    runner.invoke(app, ["topics", "map", "--id", "2006.11239"])
    services = build_services()
    stored = {a.topic: a for a in papers.topic_assignments(services.db, "2006.11239")}
    services.db.close()
    assert stored[6].confirmed == 1 and 1 not in stored


def test_confirm_an_unknown_paper_is_a_named_error(hashed: None) -> None:
    result = CliRunner().invoke(app, ["topics", "confirm", "0000.00000", "3"])
    assert result.exit_code == 1 and "0000.00000" in result.stderr


def test_real_embedder_maps_unambiguous_titles(services: Services) -> None:
    """With all-MiniLM-L6-v2 and the shipped exemplars (none of these titles is among them)."""
    from agent.topics import TopicMapper
    from kb.embedder import make_embedder

    services.embedder_override = make_embedder("all-minilm-l6-v2")
    mapper = TopicMapper(services.kb, services.plan, None)
    shipped = {t.text for t in mapper.profile_texts()}
    titles = {"Improved Denoising Diffusion Probabilistic Models": 6,
              "Exposing DeepFake Videos By Detecting Face Warping Artifacts": 8,
              "Post-Training Quantization for Vision Transformer": 10}
    assert not shipped & set(titles)
    out = list(mapper.classify({"id": t, "title": t} for t in titles))
    assert {o["id"]: o["topics"][0]["topic"] for o in out} == titles
