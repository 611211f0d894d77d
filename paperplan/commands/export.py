"""`paperplan export …`: take your data elsewhere. Cards go to Anki (.apkg) or CSV.

Other exports (bibtex, vault, progress) join this same group.
"""

from __future__ import annotations

import csv
import html
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from kb.errors import PaperplanError

export_app = typer.Typer(help="Export cards, references and notes to other tools.", no_args_is_help=True)

# Fixed ids: importing a newer export into Anki updates the same deck and notes instead of
# adding copies (note guids come from our card ids).
ANKI_DECK_ID = 1_874_562_031
ANKI_BASIC_MODEL_ID = 1_874_562_032
CSV_COLUMNS = ("id", "type", "topic", "paper_id", "question", "options", "answer", "section", "pages",
               "source_quote", "due", "reviews")


class ExportError(PaperplanError):
    hint = "check the folder exists and is writable"


def _json_option() -> Any:
    return typer.Option(False, "--json", help="Print one JSON document on stdout.")


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write to a temporary file beside `path`, then rename: a failed export leaves no half file."""
    target = path.expanduser()
    if not target.parent.is_dir():
        raise ExportError(f"cannot write {target}: the folder {target.parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.replace(target)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _cards(svc: Any, topic: int | None) -> list[Any]:
    from kb.cards import list_cards

    return list_cards(svc.db, topics=[topic] if topic is not None else None)


def _titles(svc: Any) -> dict[str, str]:
    return {r[0]: r[1] for r in svc.db.query("SELECT id, title FROM papers")}


def _source_html(card: Any, title: str) -> str:
    where = ", ".join(x for x in (card.section, f"p. {card.pages}" if card.pages else "") if x)
    cite = html.escape(f"{title} (arXiv:{card.paper_id})" if card.paper_id else title)
    quote = f"<blockquote>{html.escape(card.source_quote)}</blockquote>" if card.source_quote else ""
    return f"<div class='source'>{cite}{', ' + html.escape(where) if where else ''}{quote}</div>"


def build_anki_package(cards: list[Any], titles: dict[str, str], path: Path) -> int:
    """Write the cards as one Anki deck; multiple choice and short answers as basic notes,
    cloze cards as Anki cloze notes. Returns the number of notes."""
    import genanki

    from agent.quiz import BLANK

    basic = genanki.Model(
        ANKI_BASIC_MODEL_ID, "paperplan card",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Source"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}",
                    "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}<br><br>{{Source}}"}],
        css=".card { font-family: sans-serif; font-size: 18px; } .source { font-size: 14px; color: #555; }",
    )
    deck = genanki.Deck(ANKI_DECK_ID, "paperplan")
    for card in cards:
        source = _source_html(card, titles.get(card.paper_id or "", ""))
        tags = [f"paperplan::{card.type}"] + ([f"paperplan::topic-{card.topic}"] if card.topic is not None else [])
        guid = genanki.guid_for(card.id)
        if card.type == "cloze" and BLANK in card.question:
            text = html.escape(card.question).replace(BLANK, "{{c1::" + html.escape(card.answer) + "}}", 1)
            deck.add_note(genanki.Note(genanki.CLOZE_MODEL, [text, source], tags=tags, guid=guid))
            continue
        question = html.escape(card.question)
        if card.options:
            question += "<ol type='a'>" + "".join(f"<li>{html.escape(o)}</li>" for o in card.options) + "</ol>"
        deck.add_note(genanki.Note(basic, [question, html.escape(card.answer), source], tags=tags, guid=guid))
    genanki.Package(deck).write_to_file(str(path))
    return len(deck.notes)


@export_app.command("anki")
def export_anki(
    file: str = typer.Argument(..., help="The .apkg file to write (Anki: File → Import)."),
    topic: int | None = typer.Option(None, "--topic", help="Only cards of this plan topic."),
    json_output: bool = _json_option(),
) -> None:
    """Write your quiz cards as an Anki deck."""
    from paperplan import cli

    svc = cli.services()
    cards, titles = _cards(svc, topic), _titles(svc)
    notes = 0

    def write(tmp: Path) -> None:
        nonlocal notes
        notes = build_anki_package(cards, titles, tmp)

    write_atomically(Path(file), write)
    if json_output:
        cli.emit_json({"file": str(file), "format": "anki", "cards": notes})
    else:
        typer.echo(f"wrote {notes} cards to {file}")


@export_app.command("cards")
def export_cards(
    file: str = typer.Argument(..., help="The .csv file to write."),
    topic: int | None = typer.Option(None, "--topic", help="Only cards of this plan topic."),
    json_output: bool = _json_option(),
) -> None:
    """Write your quiz cards, with their sources and schedule, as CSV."""
    from paperplan import cli

    svc = cli.services()
    cards = _cards(svc, topic)
    reviews = {r[0]: r[1] for r in svc.db.query("SELECT card_id, COUNT(*) FROM reviews GROUP BY card_id")}
    rows = [{
        "id": c.id, "type": c.type, "topic": "" if c.topic is None else c.topic, "paper_id": c.paper_id or "",
        "question": c.question, "options": " | ".join(c.options), "answer": c.answer, "section": c.section,
        "pages": c.pages, "source_quote": c.source_quote, "due": c.due.isoformat() if c.due else "",
        "reviews": reviews.get(c.id, 0),
    } for c in cards]

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    write_atomically(Path(file), write)
    if json_output:
        cli.emit_json({"file": str(file), "format": "csv", "cards": len(rows)})
    else:
        typer.echo(f"wrote {len(rows)} cards to {file}")
