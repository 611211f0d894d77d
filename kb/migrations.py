"""Append-only, named SQLite migrations.

Never edit or reorder an entry that has shipped: add a new one at the end. Each runs once,
inside a transaction, and its name is recorded in `_migrations`.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_initial",
        """
        CREATE TABLE papers (
            id TEXT PRIMARY KEY,              -- version-less arXiv id, or sha256:<hex16> for other PDFs
            version INTEGER,                  -- arXiv version number, NULL when unknown
            title TEXT NOT NULL,
            authors TEXT NOT NULL DEFAULT '[]',        -- JSON list of names
            abstract TEXT NOT NULL DEFAULT '',         -- '' where no verified abstract is known
            categories TEXT NOT NULL DEFAULT '[]',     -- JSON list
            primary_category TEXT NOT NULL DEFAULT '',
            published TEXT,                   -- ISO date
            updated TEXT,
            comment TEXT NOT NULL DEFAULT '',
            journal_ref TEXT NOT NULL DEFAULT '',
            doi TEXT NOT NULL DEFAULT '',
            venue TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            pdf_url TEXT NOT NULL DEFAULT '',
            pdf_path TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,             -- snapshot | arxiv | local | feed
            kind TEXT NOT NULL DEFAULT 'paper', -- paper | blog
            plan_resource INTEGER NOT NULL DEFAULT 0,  -- 1 when the plan itself recommends it
            fulltext TEXT NOT NULL DEFAULT 'none',     -- none | pending | indexed | failed
            fulltext_error TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX papers_published ON papers(published);

        CREATE TABLE topics (
            number INTEGER PRIMARY KEY,
            stage INTEGER NOT NULL,
            title TEXT NOT NULL,
            title_en TEXT NOT NULL DEFAULT ''
        );

        CREATE TABLE paper_topics (
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            topic INTEGER NOT NULL,
            score REAL NOT NULL,
            method TEXT NOT NULL,             -- plan | embedding | llm | user
            reason TEXT NOT NULL DEFAULT '',
            confirmed INTEGER NOT NULL DEFAULT 0,      -- 1 confirmed by the learner, -1 rejected
            updated_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, topic)
        );
        CREATE INDEX paper_topics_topic ON paper_topics(topic);

        CREATE TABLE reading (
            paper_id TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'new',        -- new | queued | reading | read | dismissed
            rating TEXT NOT NULL DEFAULT '',           -- '' | up | down | too-hard | too-easy
            status_at TEXT,
            rated_at TEXT
        );

        CREATE TABLE chunks (
            id TEXT PRIMARY KEY,              -- <paper id>:<version>:<seq>
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            version INTEGER,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,               -- abstract | body | caption | references | note
            section TEXT NOT NULL DEFAULT '',
            page_first INTEGER,
            page_last INTEGER,
            text TEXT NOT NULL
        );
        CREATE INDEX chunks_paper ON chunks(paper_id);

        CREATE TABLE notes (
            id TEXT PRIMARY KEY,              -- paper id, or topic-<n>, or journal
            paper_id TEXT REFERENCES papers(id) ON DELETE SET NULL,
            path TEXT NOT NULL,               -- relative to the notes dir
            content_hash TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE cards (
            id TEXT PRIMARY KEY,
            paper_id TEXT REFERENCES papers(id) ON DELETE SET NULL,
            topic INTEGER,
            type TEXT NOT NULL,               -- mcq | short | cloze
            question TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '[]',
            answer TEXT NOT NULL,
            chunk_id TEXT,
            section TEXT NOT NULL DEFAULT '',
            page_first INTEGER,
            page_last INTEGER,
            source_quote TEXT NOT NULL DEFAULT '',
            fsrs_card TEXT NOT NULL DEFAULT '{}',      -- the fsrs package's card as JSON
            due TEXT,
            created_at TEXT NOT NULL,
            suspended INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX cards_due ON cards(due);

        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            card_id TEXT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
            rating INTEGER NOT NULL,          -- 1 again, 2 hard, 3 good, 4 easy
            correct INTEGER,
            answer_given TEXT NOT NULL DEFAULT '',
            reviewed_at TEXT NOT NULL,
            duration_ms INTEGER
        );

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,               -- init | ingest | nightly | digest | …
            started TEXT NOT NULL,
            finished TEXT,
            ok INTEGER,
            summary TEXT NOT NULL DEFAULT '{}'
        );

        CREATE TABLE watermarks (
            source TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE recommendations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            week TEXT NOT NULL,               -- ISO week YYYY-Www
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            rank INTEGER NOT NULL,
            score REAL NOT NULL,
            why TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (week, paper_id)
        );

        CREATE TABLE meta (
            key TEXT PRIMARY KEY,             -- e.g. plan_start: the day the learner started
            value TEXT NOT NULL
        );

        CREATE TABLE milestones (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,               -- stage-assessment | project
            ref INTEGER NOT NULL,             -- stage or topic number
            detail TEXT NOT NULL DEFAULT '{}',
            achieved_at TEXT NOT NULL,
            UNIQUE (kind, ref)
        );
        """,
    ),
    (
        # Topic notes (topic-<n>) and the research journal are embedded like paper notes so
        # Ask finds them, but they are no paper: chunks lose the foreign key to papers.
        "002_notes_chunks_without_paper_fk",
        """
        CREATE TABLE chunks_new (
            id TEXT PRIMARY KEY,              -- <paper or note id>:<version>:<seq>
            paper_id TEXT NOT NULL,           -- a paper id, or topic-<n> / journal for free notes
            version INTEGER,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,               -- abstract | body | caption | references | note
            section TEXT NOT NULL DEFAULT '',
            page_first INTEGER,
            page_last INTEGER,
            text TEXT NOT NULL
        );
        INSERT INTO chunks_new (id, paper_id, version, seq, kind, section, page_first, page_last, text)
            SELECT id, paper_id, version, seq, kind, section, page_first, page_last, text FROM chunks;
        DROP TABLE chunks;
        ALTER TABLE chunks_new RENAME TO chunks;
        CREATE INDEX chunks_paper ON chunks(paper_id)
        """,
    ),
    (
        # Which version of the PDF parser (ingest.pdf.PARSER_VERSION) read a paper's full text,
        # so an upgrade that reads PDFs better (tables, v2) can re-read the stored files.
        # Full text indexed before this column existed was read by version 1.
        "003_papers_parsed_with",
        """
        ALTER TABLE papers ADD COLUMN parsed_with INTEGER NOT NULL DEFAULT 1
        """,
    ),
]
