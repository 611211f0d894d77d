"""The learner's notes: plain Markdown files in the data dir's notes/ folder.

One file per paper (`<paper id>.md`, the id made safe for a file name), one per plan topic
(`topic-<n>.md`) and a research journal (`journal.md`). Each starts with YAML front matter
and uses wiki links (`[[topic-3]]`), so the folder opens cleanly as an Obsidian vault or
in any editor.

The files are the record; SQLite's `notes` table remembers the hash of each file as it
was last indexed, so `sync()` can tell which files were edited outside the app and
re-embed them as chunks of kind 'note' (Ask then finds them). Saving never clobbers: when
the file changed on disk since the caller read it, the incoming text goes to a side file
`<name>.conflict-<timestamp>.md` and the result says so.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from kb import papers
from kb.db import Database, utc_now
from kb.errors import PaperplanError
from kb.store import KnowledgeBase
from kb.types import Chunk, Passage

JOURNAL_ID = "journal"
TOPIC_NOTE = re.compile(r"^topic-(\d{1,3})$")
CONFLICT_MARK = ".conflict-"
# Note chunks share the paper's id space with its abstract and body chunks; a high seq
# base keeps their deterministic chunk ids from ever colliding with the paper's own.
NOTE_SEQ_BASE = 1_000_000
NOTE_CHUNK_CHARS = 1200
# Names a paper's note must not take: the topic notes', the journal's, the exported
# vault's stage and index pages, and Windows' devices.
_RESERVED = re.compile(r"^(topic-.*|stage-.*|journal|index|con|prn|aux|nul|com\d|lpt\d)$", re.I)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Id shapes kept readable as file names; their names cannot collide with each other.
_OLD_ARXIV = re.compile(r"^[a-z-]+(\.[A-Z]{2})?/\d{7}$")  # cs/0601001, math.GT/0309136
_HASH_ID = re.compile(r"^sha256:[0-9a-f]{8,64}$")
_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$")  # 2502.10816 and other plain ids
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
# Keys the app maintains from the KB; any other key in a note's front matter is the learner's.
MAINTAINED_KEYS = ("id", "title", "authors", "year", "arxiv", "topics", "topic_notes", "status", "rating",
                   "created", "updated")


class NoteError(PaperplanError):
    hint = "paper ids are listed by `paperplan status`/the app; topic notes are topic-<n>, the journal is 'journal'"


@dataclass
class Note:
    """A note as it is on disk (or would be: `exists` is False when no file is there yet)."""

    id: str  # paper id, topic-<n> or journal
    path: Path
    front: dict[str, Any]
    body: str
    exists: bool
    hash: str  # sha256 of the file's bytes; '' when there is no file. Pass it back to save().

    @property
    def paper_id(self) -> str | None:
        return None if is_free_note(self.id) else self.id


@dataclass
class SaveResult:
    path: Path  # the note's file
    hash: str  # the file's hash after this save (the outside version's when in conflict)
    conflict: Path | None = None  # side file holding the incoming text, when the file changed on disk
    indexed: bool = False

    @property
    def saved(self) -> bool:
        return self.conflict is None


@dataclass
class SyncReport:
    indexed: list[str] = field(default_factory=list)  # notes (re-)embedded now
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)  # notes whose file is gone: chunks dropped
    conflicts: list[str] = field(default_factory=list)  # side files waiting for the learner
    skipped: list[str] = field(default_factory=list)  # .md files that are no note of ours
    errors: list[str] = field(default_factory=list)


@dataclass
class NoteHit:
    note_id: str
    title: str
    excerpt: str
    score: float
    path: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def note_title(db: Database, note_id: str) -> str:
    """What a note is about, for a learner reading a list or a citation: its paper's title,
    its topic's title, or "Research journal"."""
    if not is_free_note(note_id):
        return str(db.scalar("SELECT title FROM papers WHERE id = ?", (note_id,)) or note_id)
    if note_id == JOURNAL_ID:
        return "Research journal"
    number = int(note_id.split("-")[1])
    return str(db.scalar("SELECT title FROM topics WHERE number = ?", (number,)) or note_id)


def is_free_note(note_id: str) -> bool:
    """Topic notes and the journal belong to no paper."""
    return note_id == JOURNAL_ID or bool(TOPIC_NOTE.match(note_id))


def topic_note_id(number: int) -> str:
    return f"topic-{number}"


def safe_file_stem(paper_id: str) -> str:
    """A file name stem for a paper id that stays inside the notes folder on any OS.

    Readable for real ids (`2502.10816`, `cs_0601001` for cs/0601001, `sha256_ab12…`);
    any other id gets `paper-…-<hash>`, so two ids never share a file and nothing escapes.
    """
    if _OLD_ARXIV.match(paper_id):
        return paper_id.replace("/", "_")
    if _HASH_ID.match(paper_id):
        return paper_id.replace(":", "_")
    if _PLAIN_ID.match(paper_id) and not _RESERVED.match(paper_id) and not paper_id.startswith("paper-"):
        return paper_id
    digest = hashlib.sha256(paper_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    readable = _UNSAFE.sub("_", paper_id).strip("._-")[:60]
    return f"paper-{readable}-{digest}" if readable else f"paper-{digest}"


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body). Front matter that is not a YAML mapping is kept in the body,
    so a malformed header is never lost."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if front is None:
        front = {}
    if not isinstance(front, dict):
        return {}, text
    return {str(k): v for k, v in front.items()}, text[match.end():]


def render_note(front: dict[str, Any], body: str) -> str:
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    return f"---\n{header}---\n\n{body.lstrip(chr(10))}" if body.strip() else f"---\n{header}---\n\n"


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, rename: a crash leaves the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def chunk_note_text(text: str, limit: int = NOTE_CHUNK_CHARS) -> list[str]:
    """Paragraphs packed into passages of at most `limit` characters (longer ones are cut)."""
    parts: list[str] = []
    current = ""
    for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if not para:
            continue
        while len(para) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(para[:limit])
            para = para[limit:]
        if current and len(current) + 2 + len(para) > limit:
            parts.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para
    if current:
        parts.append(current)
    return parts


class NotesVault:
    """The notes folder and its index. Building one touches nothing (no model, no files)."""

    def __init__(self, notes_dir: Path, kb: KnowledgeBase) -> None:
        self.dir = notes_dir
        self.kb = kb

    @property
    def db(self) -> Database:
        return self.kb.db

    # -- names -----------------------------------------------------------------------------

    def note_path(self, note_id: str) -> Path:
        """The note's file, always directly inside the notes folder."""
        stem = note_id if is_free_note(note_id) else safe_file_stem(note_id)
        return self.dir / f"{stem}.md"

    def journal_path(self) -> Path:
        return self.note_path(JOURNAL_ID)

    def _check_id(self, note_id: str) -> None:
        if note_id == JOURNAL_ID:
            return
        if m := TOPIC_NOTE.match(note_id):
            if not self.db.scalar("SELECT 1 FROM topics WHERE number = ?", (int(m.group(1)),)):
                raise NoteError(f"the plan has no topic {m.group(1)} (topic note {note_id!r})",
                                hint="`paperplan plan show` lists the topics; run `paperplan init` first")
            return
        if papers.get_paper(self.db, note_id) is None:
            raise NoteError(f"no paper with id {note_id!r} in the knowledge base")

    # -- reading ---------------------------------------------------------------------------

    def read(self, note_id: str) -> Note:
        """The note as on disk, or a fresh one with its front matter filled from the KB.
        Creates nothing."""
        self._check_id(note_id)
        path = self.note_path(note_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return Note(note_id, path, self.front_matter(note_id, {}), "", exists=False, hash="")
        except OSError as exc:
            raise NoteError(f"cannot read the note {path}: {exc.strerror}") from exc
        front, body = split_front_matter(data.decode("utf-8", errors="replace"))
        return Note(note_id, path, front, body, exists=True, hash=content_hash(data))

    def list_notes(self) -> list[dict[str, Any]]:
        """Every note the index knows of: id, paper id, path, updated."""
        return [dict(r) for r in self.db.query("SELECT id, paper_id, path, updated_at FROM notes ORDER BY id")]

    def pending_conflicts(self) -> list[Path]:
        return sorted(p for p in self.dir.glob(f"*{CONFLICT_MARK}*.md"))

    # -- writing ---------------------------------------------------------------------------

    def save(self, note_id: str, text: str, base_hash: str, *, index: bool = True) -> SaveResult:
        """Write the note atomically with its front matter refreshed from the KB.

        `text` is the body, optionally with front matter (the learner's own keys are kept;
        the maintained ones are refreshed). `base_hash` is the `Note.hash` the caller read
        ('' for a new note). If the file changed since, nothing is overwritten: the
        incoming text goes to a conflict side file. With `index`, the note is re-embedded
        now (loads the embedder); otherwise the next `sync()` does it.
        """
        self._check_id(note_id)
        path = self.note_path(note_id)
        try:
            current = path.read_bytes() if path.exists() else None
        except OSError as exc:
            raise NoteError(f"cannot read the note {path}: {exc.strerror}") from exc
        current_hash = content_hash(current) if current is not None else ""
        incoming_front, body = split_front_matter(text)
        disk_front = split_front_matter(current.decode("utf-8", errors="replace"))[0] if current else {}
        front = self.front_matter(note_id, {**disk_front, **incoming_front})
        data = render_note(front, body).encode("utf-8")
        try:
            if current_hash != base_hash:
                side = self._conflict_path(path)
                atomic_write(side, data)
                return SaveResult(path, current_hash, conflict=side)
            atomic_write(path, data)
        except OSError as exc:  # a full disk, a read-only folder: the old file is untouched
            raise NoteError(f"cannot save the note {path}: {exc.strerror or exc}",
                            hint="free some disk space or check the notes folder is writable; "
                                 "the note on disk is unchanged") from exc
        result = SaveResult(path, content_hash(data))
        if index:
            self._index(note_id, path, data)
            result.indexed = True
        return result

    def append(self, note_id: str, text: str) -> SaveResult:
        """Add a paragraph at the end (the journal's way of growing), re-reading first."""
        note = self.read(note_id)
        body = note.body.rstrip("\n")
        return self.save(note_id, render_note(note.front, f"{body}\n\n{text.strip()}\n" if body else text),
                         note.hash)

    def ensure(self, note_id: str) -> Note:
        """The note, written with its front matter first if it has no file yet."""
        note = self.read(note_id)
        if not note.exists:
            self.save(note_id, "", "", index=False)
            note = self.read(note_id)
        return note

    def _conflict_path(self, path: Path) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        side = path.with_name(f"{path.stem}{CONFLICT_MARK}{stamp}.md")
        n = 1
        while side.exists():  # two conflicts in one second: keep both
            n += 1
            side = path.with_name(f"{path.stem}{CONFLICT_MARK}{stamp}-{n}.md")
        return side

    def front_matter(self, note_id: str, front: dict[str, Any]) -> dict[str, Any]:
        """`front` with our keys refreshed from the KB (they come first); the learner's kept."""
        now = utc_now()
        ours: dict[str, Any] = {"id": note_id}
        if note_id == JOURNAL_ID:
            ours["title"] = "Research journal"
        elif m := TOPIC_NOTE.match(note_id):
            number = int(m.group(1))
            row = self.db.query("SELECT title, title_en, stage FROM topics WHERE number = ?", (number,))
            ours["title"] = row[0]["title"] if row else f"Topic {number}"
            if row and row[0]["title_en"]:
                ours["title_en"] = row[0]["title_en"]
            if row:
                ours["stage"] = row[0]["stage"]
        else:
            paper = papers.get_paper(self.db, note_id)
            assert paper is not None
            ours["title"] = paper.title
            ours["authors"] = paper.authors[:8]
            if paper.published:
                ours["year"] = int(paper.published[:4])
            if paper.source in ("arxiv", "snapshot", "feed") and not paper.id.startswith("sha256:"):
                ours["arxiv"] = paper.id
            # The mapper stores only the topics it chose; the learner's confirmations come first.
            topics = [a.topic for a in papers.topic_assignments(self.db, note_id)][:3]
            ours["topics"] = topics
            ours["topic_notes"] = [f"[[{topic_note_id(t)}]]" for t in topics]
            reading = self.db.query("SELECT status, rating FROM reading WHERE paper_id = ?", (note_id,))
            ours["status"] = reading[0]["status"] if reading else "new"
            ours["rating"] = reading[0]["rating"] if reading else ""
        ours["created"] = str(front.get("created") or now)
        ours["updated"] = now
        rest = {k: v for k, v in front.items() if k not in MAINTAINED_KEYS and k not in ours}
        return {**ours, **rest}

    # -- indexing --------------------------------------------------------------------------

    def _note_chunks(self, note_id: str, body: str) -> list[Chunk]:
        return [Chunk(paper_id=note_id, seq=NOTE_SEQ_BASE + i, kind="note", text=part, section="Note")
                for i, part in enumerate(chunk_note_text(body))]

    def _index(self, note_id: str, path: Path, data: bytes) -> None:
        self._index_many([(note_id, path, data)])

    def _index_many(self, notes: list[tuple[str, Path, bytes]]) -> None:
        """Record each file's hash and re-embed the notes as 'note' chunks under their ids (a
        paper's id, or topic-<n> / journal, which is how Ask scopes and finds them). One
        transaction and full embedding batches: a sync of hundreds of notes stays quick."""
        chunks = {note_id: self._note_chunks(note_id, split_front_matter(data.decode("utf-8", errors="replace"))[1])
                  for note_id, _, data in notes}
        for note_id in [n for n, c in chunks.items() if not c]:
            self.kb.delete_paper_chunks(note_id, ["note"])
        self.kb.index_many({n: c for n, c in chunks.items() if c})
        now = utc_now()
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO notes (id, paper_id, path, content_hash, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET paper_id = excluded.paper_id, path = excluded.path,"
                " content_hash = excluded.content_hash, updated_at = excluded.updated_at",
                [(note_id, None if is_free_note(note_id) else note_id, path.name, content_hash(data), now)
                 for note_id, path, data in notes],
            )

    def _files_by_id(self) -> tuple[dict[str, Path], list[str]]:
        """Note files on disk by note id, and the .md files that belong to no note."""
        found: dict[str, Path] = {}
        skipped: list[str] = []
        stems = {safe_file_stem(r[0]): r[0] for r in self.db.query("SELECT id FROM papers")}
        for path in sorted(self.dir.glob("*.md")):
            if CONFLICT_MARK in path.name or path.name.startswith("."):
                continue
            stem = path.stem
            note_id = stem if is_free_note(stem) else stems.get(stem)
            if note_id is None:
                skipped.append(path.name)
            else:
                found[note_id] = path
        return found, skipped

    def sync(self) -> SyncReport:
        """Pick up notes edited, added or deleted outside the app. One bad file never stops it."""
        report = SyncReport(conflicts=[p.name for p in self.pending_conflicts()] if self.dir.exists() else [])
        if not self.dir.exists():
            return report
        files, report.skipped = self._files_by_id()
        known = {r["id"]: r["content_hash"] for r in self.db.query("SELECT id, content_hash FROM notes")}
        with_chunks = {r[0] for r in self.db.query("SELECT DISTINCT paper_id FROM chunks WHERE kind = 'note'")}
        todo: list[tuple[str, Path, bytes]] = []
        for note_id, path in files.items():
            try:
                data = path.read_bytes()
            except OSError as exc:
                report.errors.append(f"{path.name}: {exc}")
                continue
            stale = known.get(note_id) != content_hash(data)
            # A re-ingest of a new paper version may have dropped the note's chunks.
            lost = note_id not in with_chunks and bool(
                chunk_note_text(split_front_matter(data.decode("utf-8", errors="replace"))[1]))
            if stale or lost:
                todo.append((note_id, path, data))
            else:
                report.unchanged += 1
        if todo:
            try:
                self._index_many(todo)
                report.indexed += [note_id for note_id, _, _ in todo]
            except PaperplanError as exc:
                report.errors.append(f"indexing {len(todo)} notes: {exc}")
        for note_id in sorted(set(known) - set(files)):
            try:
                self.kb.delete_paper_chunks(note_id, ["note"])
                with self.db.transaction() as conn:
                    conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))
                report.removed.append(note_id)
            except PaperplanError as exc:
                report.errors.append(f"{note_id}: {exc}")
        return report

    # -- searching -------------------------------------------------------------------------

    def search(self, query: str, k: int = 10) -> list[NoteHit]:
        """Notes by meaning (their embedded passages) and by the share of the query's words a
        passage contains (names, Chinese terms the embedder misses); best first, one hit per note."""
        hits = [self._hit_from_passage(p) for p in self.kb.dense_search(query, k, where={"kind": "note"})]
        words = {w for w in re.findall(r"\w+", query.lower()) if len(w) > 1}
        for row in self.db.query("SELECT paper_id, text FROM chunks WHERE kind = 'note'") if words else []:
            present = words & set(re.findall(r"\w+", row["text"].lower()))
            if present:
                note_id = row["paper_id"]
                hits.append(NoteHit(note_id, note_title(self.db, note_id), row["text"][:300],
                                    round(len(present) / len(words), 4), self.note_path(note_id).name))
        best: dict[str, NoteHit] = {}
        for hit in hits:
            if hit.note_id not in best or hit.score > best[hit.note_id].score:
                best[hit.note_id] = hit
        return sorted(best.values(), key=lambda h: (-h.score, h.note_id))[:k]

    def _hit_from_passage(self, passage: Passage) -> NoteHit:
        note_id = passage.chunk.paper_id
        return NoteHit(note_id, passage.title or note_title(self.db, note_id), passage.chunk.text[:300],
                       round(passage.score, 4), self.note_path(note_id).name)

