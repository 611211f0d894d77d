"""Notes: plain files the learner can edit anywhere, picked up by the app, never clobbered."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb import papers
from kb.notes import NoteError, NotesVault, safe_file_stem, split_front_matter
from kb.types import Paper
from paperplan.wiring import Services


def add_paper(svc: Services, paper_id: str = "2502.10816", title: str = "A Survey of Multimodal Fusion",
              **extra: object) -> Paper:
    paper = Paper(id=paper_id, title=title, source="arxiv", authors=["Ada Lovelace", "Alan Turing"],
                  abstract="We survey fusion of vision and language.", published="2025-02-15",
                  primary_category="cs.LG", **extra)  # type: ignore[arg-type]
    papers.upsert_paper(svc.db, paper)
    return paper


@pytest.fixture
def vault(services: Services) -> NotesVault:
    papers.sync_topics(services.db, services.plan)
    add_paper(services)
    return NotesVault(services.paths.notes, services.kb)


def test_new_note_gets_front_matter_from_the_kb(vault: NotesVault, services: Services) -> None:
    papers.set_reading_status(services.db, "2502.10816", "read")
    papers.set_rating(services.db, "2502.10816", "up")
    note = vault.read("2502.10816")
    assert not note.exists and not note.path.exists(), "reading must create nothing"

    result = vault.save("2502.10816", "Cross-attention beats concatenation here.", note.hash)

    assert result.saved and result.indexed
    text = note.path.read_text(encoding="utf-8")
    front, body = split_front_matter(text)
    assert text.startswith("---\n")
    assert front["id"] == "2502.10816" and front["title"] == "A Survey of Multimodal Fusion"
    assert front["status"] == "read" and front["rating"] == "up" and front["year"] == 2025
    assert "Cross-attention beats concatenation" in body


def test_note_edited_outside_is_found_after_sync(vault: NotesVault, services: Services) -> None:
    vault.save("2502.10816", "First thoughts.", "")
    path = vault.note_path("2502.10816")
    path.write_text(path.read_text(encoding="utf-8") + "\nGated fusion of zebra giraffe features\n",
                    encoding="utf-8")

    report = vault.sync()

    assert report.indexed == ["2502.10816"]
    hits = services.kb.dense_search("zebra giraffe gated fusion", k=3, where={"kind": "note"})
    assert hits and "zebra giraffe" in hits[0].chunk.text
    assert vault.sync().indexed == [], "an unchanged note is not re-embedded"


def test_learner_keys_in_front_matter_survive_a_save(vault: NotesVault) -> None:
    vault.save("2502.10816", "---\ntags: [fusion, todo]\ntitle: my own title\n---\nbody", "")
    front, _ = split_front_matter(vault.note_path("2502.10816").read_text(encoding="utf-8"))
    assert front["tags"] == ["fusion", "todo"]
    assert front["title"] == "A Survey of Multimodal Fusion", "maintained keys come from the KB"


def test_conflicting_save_keeps_both_versions(vault: NotesVault) -> None:
    first = vault.save("2502.10816", "original", "")
    note = vault.read("2502.10816")  # the app's editor opens the note
    outside = note.path.read_text(encoding="utf-8").replace("original", "edited in Obsidian")
    note.path.write_text(outside, encoding="utf-8")  # … meanwhile edited outside

    result = vault.save("2502.10816", "edited in the app", first.hash)

    assert not result.saved and result.conflict is not None
    assert "edited in Obsidian" in note.path.read_text(encoding="utf-8")
    assert "edited in the app" in result.conflict.read_text(encoding="utf-8")
    assert result.conflict.parent == note.path.parent and ".conflict-" in result.conflict.name
    assert vault.sync().conflicts == [result.conflict.name]


def test_deleting_a_note_file_drops_its_passages(vault: NotesVault, services: Services) -> None:
    vault.save("2502.10816", "Some note about okapis.", "")
    vault.note_path("2502.10816").unlink()
    report = vault.sync()
    assert report.removed == ["2502.10816"]
    assert services.db.scalar("SELECT COUNT(*) FROM chunks WHERE kind = 'note'") == 0


def test_topic_notes_and_journal_are_searchable(vault: NotesVault) -> None:
    vault.save("topic-3", "Contrastive pretraining needs big batches.", "")
    vault.append("journal", "Idea: audio-visual contrastive pretraining with small batches.")
    vault.append("journal", "Second entry.")
    journal = vault.note_path("journal").read_text(encoding="utf-8")
    assert "small batches" in journal and "Second entry." in journal
    hits = vault.search("contrastive batches")
    assert {h.note_id for h in hits} >= {"topic-3", "journal"}
    # Embedded under their own ids, so Ask's topic scope (kb.retrieval.Scope) finds them.
    passages = vault.kb.dense_search("contrastive pretraining big batches", k=5, where={"paper_id": "topic-3"})
    assert passages and "big batches" in passages[0].chunk.text
    assert vault.read("topic-3").front["stage"] >= 1


def test_unknown_paper_note_is_a_clear_error(vault: NotesVault) -> None:
    with pytest.raises(NoteError, match=r"9999\.99999"):
        vault.read("9999.99999")


def test_a_stray_file_does_not_stop_sync(vault: NotesVault) -> None:
    vault.save("2502.10816", "fine", "")
    (vault.dir / "my-ideas.md").write_text("free text", encoding="utf-8")
    (vault.dir / "topic-4.md").write_bytes(b"---\n: [bad yaml\n---\n\xff\xfe broken bytes")
    report = vault.sync()
    assert "my-ideas.md" in report.skipped and "topic-4" in report.indexed and not report.errors


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=200))
def test_any_paper_id_maps_to_a_file_inside_notes(paper_id: str) -> None:
    notes = Path("/data/notes")
    stem = safe_file_stem(paper_id)
    path = (notes / f"{stem}.md").resolve()
    assert path.parent == notes
    assert "/" not in stem and "\\" not in stem and ":" not in stem and not stem.startswith(".")
    assert 0 < len(stem) <= 120 and stem not in ("journal",) and not stem.startswith("topic-")


@given(st.text(max_size=60), st.text(max_size=60))
def test_two_ids_never_share_a_file(a: str, b: str) -> None:
    if a != b:
        assert safe_file_stem(a) != safe_file_stem(b)


def test_real_ids_keep_readable_names() -> None:
    assert safe_file_stem("2502.10816") == "2502.10816"
    assert safe_file_stem("cs/0601001") == "cs_0601001"
    assert safe_file_stem("sha256:0123abcd0123abcd") == "sha256_0123abcd0123abcd"


def test_chunks_written_before_the_notes_migration_survive_it(tmp_path: Path) -> None:
    import sqlite3

    from kb.db import Database
    from kb.migrations import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "old.db")
    conn.executescript(MIGRATIONS[0][1])
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    conn.execute("INSERT INTO _migrations VALUES ('001_initial', 'then')")
    conn.execute("INSERT INTO papers (id, title, source, added_at, updated_at) VALUES ('1', 't', 'arxiv', 'x', 'x')")
    conn.execute("INSERT INTO chunks (id, paper_id, seq, kind, text) VALUES ('1:v0:0', '1', 0, 'abstract', 'kept')")
    conn.commit()
    conn.close()

    db = Database(tmp_path / "old.db")

    assert db.scalar("SELECT text FROM chunks WHERE id = '1:v0:0'") == "kept" and db.integrity_ok()
    with db.transaction() as c:  # a topic note's passage needs no paper row now
        c.execute("INSERT INTO chunks (id, paper_id, seq, kind, text) VALUES ('topic-3:v0:1', 'topic-3', 1, 'note', 'n')")


def test_a_topic_note_for_a_topic_the_plan_lacks_is_refused(vault: NotesVault) -> None:
    with pytest.raises(NoteError, match="no topic 99"):
        vault.save("topic-99", "x", "")
    assert not vault.note_path("topic-99").exists()
