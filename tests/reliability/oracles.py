"""What bad input may do, stated once for the hypothesis tests and the atheris fuzz pass:
each function feeds one input through the real code path and returns normally when the
outcome is allowed (a result, or a named PaperplanError); anything else escapes and is a bug.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import requests

from kb.errors import PaperplanError


def plan(text: str) -> None:
    """The plan parser: a Plan, or a PlanError naming a line."""
    from kb.errors import PlanError
    from kb.plan import parse_plan

    try:
        parse_plan(text, source="fuzz.md")
    except PlanError as exc:
        assert "fuzz.md" in str(exc), f"a plan error names the file: {exc}"


class _CannedSession:
    """Stands in for the network under the real arXiv client: every GET answers `content`."""

    def __init__(self, content: bytes) -> None:
        from ingest.http import PoliteSession

        self.inner = PoliteSession(timeout_s=1.0, interval_s=0.0, sleep=lambda s: None)
        self.content = content

        def request(method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
            response = requests.Response()
            response.status_code = 200
            response._content = self.content
            response.url = str(url)
            self.inner.last_response = response
            return response

        self.inner.request = request  # type: ignore[method-assign]


def atom(content: bytes) -> None:
    """The arXiv Atom path (the arxiv client's parser, our well-formedness check, our
    Result → Paper mapping): Papers, or an ArxivError naming the endpoint."""
    from ingest.arxiv_source import ArxivError, ArxivSource

    session = _CannedSession(content)
    source = ArxivSource("http://127.0.0.1:9/api/query", session.inner, page_size=10, retries=0)
    try:
        found = source.fetch_ids(["2501.00001"])
    except ArxivError as exc:
        assert "127.0.0.1:9" in str(exc), exc
        return
    for paper in found:
        assert isinstance(paper.id, str) and isinstance(paper.title, str)


def config(data: bytes) -> None:
    """The config loader on a user file with these bytes: Settings, or a ConfigError that
    names the file."""
    from paperplan.settings import ConfigError, load_settings

    fd, name = tempfile.mkstemp(suffix=".toml")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            load_settings(repo_config=None, user_config=Path(name))
        except ConfigError as exc:
            assert name in str(exc), f"a config error names the file: {exc}"
    finally:
        os.unlink(name)


def reply(data: bytes) -> None:
    """The checks Ask runs on a model's reply over untrusted passages, fed `question NUL reply
    NUL passage NUL …`: each returns, and whatever it flags is something the reply says, since
    a refusal names it to the learner ("the reply says 0.8335, which …")."""
    from agent.reply_checks import (
        CITATION,
        borrowed_facts,
        bounds_given_as_values,
        gives_no_number,
        misread_cells,
        misstated_numbers,
        numbers_a_table_contradicts,
        numbers_given_in_swapped_order,
        numbers_missing_their_factor,
        restates,
        says_absent,
        states_no_law,
        swapped_numbers,
        unnamed_symbols,
        unsupported_facts,
    )
    from kb.terms import terms

    question, answer, *sources = [*data.decode("utf-8", "replace").split("\0"), ""]  # any bytes are an input
    titles = [f"{name}: a paper" for name in ("PaSa", "XYLayoutLM")][:len(sources)]
    assert all(isinstance(said, bool) for said in (says_absent(answer), restates(question, answer),
                                                     gives_no_number(question, answer)))
    if states_no_law(question, answer):  # a reply with a law in it is never called lawless
        assert not any(sign in answer for sign in "∝^="), f"a law in {answer!r} was missed"
    for symbol in unnamed_symbols(question, answer):
        assert symbol.replace("_", "") in question.replace("_", "").replace("{", "").replace("}", ""), \
            f"unnamed symbol {symbol!r} is not the question's"
    for fact in unsupported_facts(answer, question, sources):
        assert fact in answer, f"unsupported {fact!r} is not in the reply"
    for misread in misread_cells(answer, question, sources, lambda text: set(terms(text)), titles):
        assert misread.number in answer, f"misread {misread.number!r} is not in the reply"
        assert misread.given_for in answer, f"misread given for {misread.given_for!r}, a name not in the reply"
    for misstated in [*misstated_numbers(answer, question, sources),
                      *borrowed_facts(answer, question, list(zip(titles, sources, strict=False))),
                      *bounds_given_as_values(answer, question, sources),
                      *swapped_numbers(answer, sources),
                      *numbers_a_table_contradicts(answer, sources),
                      *numbers_given_in_swapped_order(answer, sources, lambda text: set(terms(text))),
                      *numbers_missing_their_factor(answer, sources)]:
        assert misstated.number in answer, f"misstated {misstated.number!r} is not in the reply"
        assert misstated.swapped in " ".join(CITATION.sub(" ", answer).split()), \
            f"swapped for {misstated.swapped!r}, not in the reply"


ORACLES = {"plan": lambda b: plan(b.decode("utf-8", "replace")), "atom": atom, "config": config, "reply": reply}
NAMED = PaperplanError
