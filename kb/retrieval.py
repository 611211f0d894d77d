"""Hybrid retrieval: dense (the vector store) plus lexical BM25 over the `chunks` table,
fused by rank (reciprocal rank fusion), optionally scoped to a paper, a topic or a stage.

Why both: dense search finds paraphrases; BM25 finds the exact names, numbers and rare
terms (model names, dataset names, "Crawler", "XYPE") that a small embedder blurs. Fusing
by rank needs no score calibration between the two.

Cross-lingual: the default embedder is English-only, so a Chinese question is rendered
into English words before searching — the Latin words it already contains (model names,
acronyms) plus a bilingual glossary of the field's terms (kb/data/glossary.zh-en.toml and
the plan's Chinese topic titles ↔ English titles). A caller with a capable LLM may pass a
real translation instead (`search(..., query_en=...)`). Chinese text (the learner's notes)
is indexed as character bigrams, so a Chinese question also matches Chinese notes.

The BM25 index is built on first use and rebuilt when the chunks change (detected by a
cheap fingerprint of the table); it is cached on disk in the data dir so a new process
does not pay the build again.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import tomllib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import numpy as np

from kb import papers
from kb.db import Database
from kb.notes import topic_note_id
from kb.paper_names import TitleIndex
from kb.tables import row_labels
from kb.terms import CJK_RUN, has_cjk, terms, tokenize
from kb.types import Passage

log = logging.getLogger(__name__)

# Reference lists are chunked apart by ingestion: they name every topic under the sun and answer
# nothing, so retrieval leaves them out.
SKIPPED_KINDS = ("references",)
_SKIPPED = ",".join(f"'{k}'" for k in SKIPPED_KINDS)
# The on-disk keyword index's layout: a cache of another format is rebuilt, not misread.
INDEX_FORMAT = 6  # 2: table row labels; 3: one row's own; 4: Greek letters; 5: bracketed tokens;
# 6: one-column tables' rows, labels without their references
RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the difference between rank 1 and 2
# -- cross-lingual query rendering -------------------------------------------------------------


def load_glossary(extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Chinese term → English words, from the shipped glossary plus `extra` pairs (e.g. the
    plan's topic titles)."""
    text = importlib_resources.files("kb").joinpath("data/glossary.zh-en.toml").read_text(encoding="utf-8")
    pairs: dict[str, str] = dict(tomllib.loads(text)["terms"])
    for zh, en in extra:
        if zh and en:
            pairs.setdefault(zh.strip(), en.strip())
    return pairs


def render_english(question: str, glossary: Mapping[str, str]) -> str:
    """An English search query for a question that contains Chinese.

    Keeps the Latin words the question already has and adds the English of every glossary
    term found (longest match first, so 多模态大语言模型 wins over 多模态). An English
    question is returned unchanged.
    """
    if not has_cjk(question):
        return question
    found, _ = _glossary_terms(question, glossary)
    latin = re.findall(r"[A-Za-z0-9][A-Za-z0-9.\-+]*", question)
    return " ".join([*latin, *found]).strip()


def unrendered(text: str, glossary: Mapping[str, str]) -> str:
    """The Chinese of `text` no glossary term covers: what `render_english` leaves out."""
    _, rest = _glossary_terms(text, glossary)
    return "".join(CJK_RUN.findall(rest))


def _glossary_terms(text: str, glossary: Mapping[str, str]) -> tuple[list[str], str]:
    """The English of every glossary term in `text` (longest match first), and what is left."""
    found: list[str] = []
    rest = text
    for zh in sorted(glossary, key=len, reverse=True):
        if zh in rest:
            found.append(glossary[zh])
            rest = rest.replace(zh, " ")
    return found, rest


# -- scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which papers a search may return: one paper, the papers of a topic, or of a stage."""

    paper: str | None = None
    topic: int | None = None
    stage: int | None = None

    @property
    def unscoped(self) -> bool:
        return self.paper is None and self.topic is None and self.stage is None

    def paper_ids(self, db: Database) -> set[str] | None:
        """The allowed paper ids, or None when every paper is allowed."""
        if self.unscoped:
            return None
        allowed: set[str] | None = None

        def narrow(ids: Iterable[str]) -> None:
            nonlocal allowed
            allowed = set(ids) if allowed is None else allowed & set(ids)

        if self.paper is not None:
            narrow([self.paper])
        # A topic's own note (kb.notes keys it topic-<n>) belongs to the topic's scope too.
        if self.topic is not None:
            narrow([*(r[0] for r in db.query(
                "SELECT paper_id FROM paper_topics WHERE topic = ? AND confirmed >= 0", (self.topic,))),
                topic_note_id(self.topic)])
        if self.stage is not None:
            topics = [r[0] for r in db.query("SELECT number FROM topics WHERE stage = ?", (self.stage,))]
            narrow([*(r[0] for r in db.query(
                "SELECT pt.paper_id FROM paper_topics pt JOIN topics t ON t.number = pt.topic"
                " WHERE t.stage = ? AND pt.confirmed >= 0", (self.stage,))),
                *(topic_note_id(t) for t in topics)])
        return allowed or set()


# -- the lexical index ---------------------------------------------------------------------------


BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults (Lucene variant)


def bm25_idf(n_docs: int, df: Any) -> Any:
    """Lucene's BM25 idf for document frequency `df` (a number or an array) among `n_docs`."""
    return np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


@dataclass
class Bm25Matrix:
    """Precomputed BM25 weights, one column per term (CSC layout: `indptr`, `doc`, `weight`).

    Scores are those of bm25s's Lucene method (a test checks them against bm25s). We build
    the matrix ourselves, vectorised, because bm25s's indexer intersects the whole
    vocabulary with every document: O(documents × vocabulary), minutes at 100k chunks.
    """

    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(vocab) + 1
    doc: np.ndarray  # int32 document index of each weight
    weight: np.ndarray  # float32
    n_docs: int

    @classmethod
    def build(cls, corpus: Sequence[Sequence[str]]) -> Bm25Matrix:
        vocab: dict[str, int] = {}
        term_ids = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in doc), dtype=np.int64, count=len(doc))
                    for doc in corpus]
        n_docs, n_terms = len(corpus), len(vocab)
        lengths = np.array([len(t) for t in term_ids], dtype=np.float64)
        if not n_terms:
            return cls(vocab, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), n_docs)
        flat_terms = np.concatenate(term_ids)
        flat_docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths.astype(np.int64))
        pairs, tf = np.unique(flat_terms * n_docs + flat_docs, return_counts=True)  # sorted by term, then doc
        term_of, doc_of = pairs // n_docs, pairs % n_docs
        df = np.bincount(term_of, minlength=n_terms)
        idf = bm25_idf(n_docs, df)
        norm = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths[doc_of] / max(float(lengths.mean()), 1e-9))
        weight = (idf[term_of] * tf / (tf + norm)).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        return cls(vocab, indptr, doc_of.astype(np.int32), weight, n_docs)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        for t in dict.fromkeys(tokens):
            j = self.vocab.get(t)
            if j is not None:
                lo, hi = self.indptr[j], self.indptr[j + 1]
                out[self.doc[lo:hi]] += self.weight[lo:hi]  # a term lists each document once
        return out

    def idf(self, token: str) -> float:
        j = self.vocab.get(token)
        if j is None:
            return 0.0
        return float(bm25_idf(self.n_docs, int(self.indptr[j + 1] - self.indptr[j])))


@dataclass
class _LexicalIndex:
    fingerprint: tuple[Any, ...]
    ids: list[str]
    paper_ids: np.ndarray  # paper id of each document, aligned with `ids`
    matrix: Bm25Matrix
    titles: dict[str, str]  # paper id → title, for the papers in the index
    # (document, the terms of one of its table rows' labels): "NeurIPS 2023" → neurips, 2023
    table_rows: list[tuple[int, list[str]]] = field(default_factory=list)
    names: TitleIndex = field(init=False)
    rows_of: dict[str, np.ndarray] = field(init=False)  # paper id → its documents' rows
    labels_by_term: dict[str, list[tuple[int, frozenset[str]]]] = field(init=False)

    def __post_init__(self) -> None:
        self.names = TitleIndex.build(self.titles)
        rows: dict[str, list[int]] = {}
        for row, pid in enumerate(self.paper_ids):
            rows.setdefault(pid, []).append(row)
        self.rows_of = {pid: np.array(r, dtype=np.int64) for pid, r in rows.items()}
        self.labels_by_term = {}
        for doc, label in self.table_rows:
            for term in label:
                self.labels_by_term.setdefault(term, []).append((doc, frozenset(label)))

    def naming_rows(self, asked: set[str]) -> list[int]:
        """The documents with a table row whose label's terms the question holds, all of them."""
        return sorted({doc for term in asked for doc, label in self.labels_by_term.get(term, ()) if label <= asked})

    def mask(self, allowed: set[str]) -> np.ndarray:
        """True for the documents of the `allowed` papers."""
        keep = np.zeros(len(self.ids), dtype=bool)
        for pid in allowed:
            rows = self.rows_of.get(pid)
            if rows is not None:
                keep[rows] = True
        return keep


# What a row label cites is not its name: "BERT [7]", "α (Equation 1)", "ϵ (Equation 5, Equation 6)".
REFERENCE = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]|\((?:Equation|Eq\.?|Table|Section|Sec\.|Figure|Fig\.)\s[^)]*\)",
                       re.IGNORECASE)


def _label_terms(text: str) -> list[list[str]]:
    """The terms of each table row label in a passage that names one row ("ChatGPT", "NeurIPS
    2023"): not a bare number ("0.5"), nor a group label that several rows share ("SER:
    Methods InfoXLM", "SER: Methods LayoutXLM")."""
    labels = [REFERENCE.sub(" ", label).strip() for label in row_labels(text)]
    named = [list(dict.fromkeys(terms(label))) for label in labels
             if labels.count(label) == 1 and any(c.isalpha() for c in label)]
    return [words for words in named if words]  # "ϵ" alone is no term


def chunk_fingerprint(db: Database) -> tuple[Any, ...]:
    """Changes whenever a chunk is added, removed or replaced, without reading every chunk.

    INSERT OR REPLACE gives a row the next rowid, so a change moves COUNT(*) or MAX(rowid) —
    except when the row replaced was itself the last one (e.g. a one-chunk note saved twice),
    which is why the last row's text is part of the fingerprint too."""
    count, last = db.query("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM chunks")[0]
    rows = db.query("SELECT text FROM chunks WHERE rowid = ?", (last,))
    return (int(count), int(last), zlib.crc32(rows[0][0].encode("utf-8")) if rows else 0)


class LexicalIndex:
    """BM25 over every chunk in SQLite, rebuilt when the chunks change, cached on disk."""

    def __init__(self, db: Database, cache_dir: Path | None = None) -> None:
        self.db = db
        self.cache_dir = cache_dir
        self._index: _LexicalIndex | None = None
        self._lock = threading.Lock()
        self._marker: tuple[Any, ...] | None = None  # the database's write marker when last checked
        self.builds = 0  # how many times the index was built from the chunks (tests and bench read it)

    def current(self) -> _LexicalIndex:
        # Counting the chunks costs ~5 ms at 100k, on every question. SQLite says for free
        # whether anything was written since we last looked: `data_version` moves when another
        # connection commits, `total_changes` when this one writes. Only then is the
        # fingerprint worth computing.
        marker = (self.db.scalar("PRAGMA data_version"), self.db.conn.total_changes)
        with self._lock:
            if self._index is not None and marker == self._marker:
                return self._index
            fingerprint = chunk_fingerprint(self.db)
            if self._index is None or self._index.fingerprint != fingerprint:
                self._index = self._load(fingerprint) or self._build(fingerprint)
            self._marker = marker
            return self._index

    def _build(self, fingerprint: tuple[Any, ...]) -> _LexicalIndex:
        rows = self.db.query(f"SELECT id, paper_id, section, kind, text FROM chunks WHERE kind NOT IN ({_SKIPPED})"
                             " ORDER BY rowid")
        log.info("building the keyword index over %d passages", len(rows))
        corpus = [tokenize(f"{r['section']} {r['text']}" if r["kind"] == "body" else r["text"]) for r in rows]
        titles = {r[0]: r[1] or "" for r in self.db.query(
            "SELECT id, title FROM papers WHERE id IN (SELECT DISTINCT paper_id FROM chunks)")}
        title_terms = {pid: set(terms(title)) for pid, title in titles.items()}
        # A row named by the paper's own title ("XYLayoutLM" in XYLayoutLM's tables) tells no
        # table apart: every question about the paper names it.
        table_rows = [(doc, label) for doc, r in enumerate(rows) for label in _label_terms(r["text"])
                      if not set(label) <= title_terms.get(r["paper_id"], set())]
        index = _LexicalIndex(fingerprint, [r["id"] for r in rows],
                              np.array([r["paper_id"] for r in rows], dtype=object), Bm25Matrix.build(corpus), titles,
                              table_rows)
        self.builds += 1
        self._save(index)
        return index

    # The on-disk cache: the matrix as .npy arrays plus a JSON of ids, vocabulary and the
    # fingerprint they belong to, written to a temporary folder and renamed into place.
    def _save(self, index: _LexicalIndex) -> None:
        if self.cache_dir is None:
            return
        tmp = self.cache_dir.with_name(self.cache_dir.name + ".tmp")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            m = index.matrix
            for name in ("indptr", "doc", "weight"):
                np.save(tmp / f"{name}.npy", getattr(m, name))
            (tmp / "index.json").write_text(json.dumps(
                {"format": INDEX_FORMAT, "fingerprint": list(index.fingerprint), "ids": index.ids, "paper_ids": index.paper_ids.tolist(),
                 "vocab": list(m.vocab), "n_docs": m.n_docs, "titles": index.titles,
                 "table_rows": index.table_rows}), encoding="utf-8")
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            tmp.rename(self.cache_dir)
        except OSError as exc:  # a cache we cannot write only costs a rebuild next time
            log.warning("could not cache the keyword index in %s: %s", self.cache_dir, exc)

    def _load(self, fingerprint: tuple[Any, ...]) -> _LexicalIndex | None:
        if self.cache_dir is None:
            return None
        try:
            meta = json.loads((self.cache_dir / "index.json").read_text(encoding="utf-8"))
            if meta.get("format") != INDEX_FORMAT or tuple(meta["fingerprint"]) != fingerprint:
                return None
            arrays = {name: np.load(self.cache_dir / f"{name}.npy") for name in ("indptr", "doc", "weight")}
            matrix = Bm25Matrix({t: i for i, t in enumerate(meta["vocab"])}, n_docs=meta["n_docs"], **arrays)
            return _LexicalIndex(fingerprint, meta["ids"], np.array(meta["paper_ids"], dtype=object), matrix,
                                 meta["titles"], [(doc, label) for doc, label in meta["table_rows"]])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, stale or damaged: rebuild

    def search(self, query: str, k: int, allowed: set[str] | None = None,
               index: _LexicalIndex | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `k` chunks with a positive score; `index` is a
        snapshot from `current()` when the caller already holds one."""
        return self.search_with_tables(query, k, 0, allowed, index)[0]

    def search_with_tables(self, query: str, k: int, tables: int, allowed: set[str] | None = None,
                           index: _LexicalIndex | None = None) -> tuple[list[tuple[str, float]], ...]:
        """`search`, and the best `tables` passages holding a table row the query names by its
        whole label ("NeurIPS 2023", "ChatGPT") ranked by the same BM25 scores: a table's long
        rows of numbers rank it low on the question's other words (the caption, a column).
        One scoring pass serves both."""
        index = index or self.current()
        tokens = tokenize(query)
        if not index.ids or not tokens:
            return [], []
        scores = index.matrix.scores(tokens)
        if allowed is not None:
            scores = np.where(index.mask(allowed), scores, 0.0)
        top_k = min(k, len(scores))
        top = np.argpartition(-scores, top_k - 1)[:top_k]
        top = top[np.argsort(-scores[top])]
        docs = index.naming_rows(set(tokens)) if tables else []
        if allowed is not None:
            docs = [d for d in docs if index.paper_ids[d] in allowed]
        in_tables = sorted(docs, key=lambda d: -scores[d])[:tables]  # stable: ties keep index order
        return ([(index.ids[i], float(scores[i])) for i in top if scores[i] > 0],
                [(index.ids[d], float(scores[d])) for d in in_tables])

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency of each token (0 for tokens no chunk has)."""
        matrix = self.current().matrix
        return {t: matrix.idf(t) for t in tokens}

    def rarest_idf(self) -> float:
        """The BM25 idf of a term only one chunk holds: the highest any real term has."""
        return float(bm25_idf(self.current().matrix.n_docs, 1))


# -- the hybrid retriever ------------------------------------------------------------------------


def _keep_leaders(ranked: list[str], leaders: Sequence[str], k: int) -> list[str]:
    """The first `k` of `ranked`, with each ranking's leader kept in even when fusion would
    drop it. Why: reciprocal-rank fusion flattens ranks, so the passage BM25 ranks first
    ("GPT-o1 … Precision 0.058; Recall 0.0134" under "Results on RealScholarQuery") can lose to
    passages ranked 8th in both lists. The leaders go in first, the rest by fused rank, and
    all keep their fused order."""
    position = {cid: i for i, cid in enumerate(ranked)}
    chosen = [cid for cid in dict.fromkeys(leaders) if cid in position][:k]
    for cid in ranked:
        if len(chosen) >= k:
            break
        if cid not in chosen:
            chosen.append(cid)
    return sorted(chosen, key=position.__getitem__)


@dataclass
class Hit:
    """A fused hit with where it came from, for the evidence step."""

    passage: Passage
    dense: float | None = None  # cosine similarity, when dense search found it
    lexical: float | None = None  # BM25 score, when BM25 found it
    ranks: dict[str, int] = field(default_factory=dict)


class Retriever:
    def __init__(self, kb: Any, *, glossary: dict[str, str] | None = None, cache_dir: Path | None = None,
                 candidates: int = 30) -> None:
        # `kb` is a kb.store.KnowledgeBase (typed loosely to keep this module free of the store's imports)
        self.kb = kb
        self.glossary = glossary if glossary is not None else load_glossary()
        self.lexical = LexicalIndex(kb.db, cache_dir)
        self.candidates = candidates
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")

    def english_query(self, question: str) -> str:
        return render_english(question, self.glossary)

    def search(self, query: str, k: int = 8, scope: Scope | None = None, query_en: str | None = None) -> list[Passage]:
        return [h.passage for h in self.search_hits(query, k, scope, query_en)]

    def search_hits(self, query: str, k: int = 8, scope: Scope | None = None,
                    query_en: str | None = None) -> list[Hit]:
        """The `k` best passages for `query`, best first; `Passage.score` is the fused score.

        `query_en` overrides the English rendering of a non-English query (e.g. an LLM
        translation). The original query also goes to BM25, so Chinese notes still match.
        """
        scope = scope or Scope()
        allowed = scope.paper_ids(self.kb.db)
        if allowed is not None and not allowed:
            return []
        english = query_en or self.english_query(query)
        n = max(self.candidates, 3 * k)
        lexical_query = english if english == query else f"{english} {query}"
        # A paper the question names (kb.paper_names) gets a third ranking of its own passages
        # by the question without its title's words: +3 of 40 dev and unseen questions.
        # A table row the question names by its label ("NeurIPS 2023") gives a fourth ranking, of
        # the passages holding such rows. One snapshot of the keyword index serves all of it.
        index = self.lexical.current()
        named = index.names.named(query) if allowed is None else index.names.named(query) & allowed
        focused = index.names.focused(english, named) if named else ""
        # BM25 (numpy) runs beside the dense search (torch and Chroma, which release the GIL
        # too), so on two cores a question costs about the slower of the two, not their sum.
        lexical_job = self._pool.submit(self._lexical, index, lexical_query, focused, n, allowed, named)
        dense = self._dense(english, n, allowed) if english.strip() else []
        lexical, in_named, in_tables = lexical_job.result()

        fused: dict[str, Hit] = {}
        scores: dict[str, float] = {}
        for rank, passage in enumerate(dense):
            hit = fused.setdefault(passage.chunk.id, Hit(passage))
            hit.dense, hit.ranks["dense"] = passage.score, rank + 1
            scores[passage.chunk.id] = scores.get(passage.chunk.id, 0.0) + 1.0 / (RRF_K + rank + 1)
        missing = [cid for cid, _ in (*lexical, *in_named, *in_tables) if cid not in fused]
        known = papers.get_chunks(self.kb.db, missing)
        titles = self.kb._titles({c.paper_id for c in known.values()})
        for source, ranking in (("lexical", lexical), ("named paper", in_named), ("table row", in_tables)):
            for rank, (cid, score) in enumerate(ranking):
                if cid not in fused:
                    if cid not in known:
                        continue
                    fused[cid] = Hit(Passage(known[cid], titles.get(known[cid].paper_id, ""), 0.0))
                hit = fused[cid]
                if source == "lexical":
                    hit.lexical = score
                hit.ranks[source] = rank + 1
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        ranked = sorted(fused, key=lambda cid: (-scores[cid], cid))
        leaders = [p.chunk.id for p in dense[:1]] + [cid for cid, _ in lexical[:1]]
        ranked = _keep_leaders(ranked, leaders, k=k)
        out = []
        for cid in ranked:
            hit = fused[cid]
            hit.passage = Passage(hit.passage.chunk, hit.passage.title, round(scores[cid], 6))
            out.append(hit)
        return out

    def _lexical(self, index: _LexicalIndex, query: str, focused: str, n: int, allowed: set[str] | None,
                 named: set[str]) -> tuple[list[tuple[str, float]], ...]:
        """BM25 over everything allowed, over the named papers for the focused query, and over
        the passages holding a table row the query names."""
        in_named = self.lexical.search(focused, n, named, index) if focused.strip() else []
        # Only the best such table: "XY Cut" names rows of several tables, and ranking them
        # all would crowd the prose out of the top five.
        lexical, in_tables = self.lexical.search_with_tables(query, n, 1, allowed, index)
        return lexical, in_named, in_tables

    def _dense(self, query: str, n: int, allowed: set[str] | None) -> list[Passage]:
        where: dict[str, Any] | None = None
        if allowed is not None:
            ids = sorted(allowed)
            where = {"paper_id": ids[0]} if len(ids) == 1 else {"paper_id": {"$in": ids}}
        return list(self.kb.dense_search(query, k=n, where=where, exclude_kinds=SKIPPED_KINDS))
