"""`python -m tests.reliability.cli_hook ARGS…` is `paperplan ARGS…` with the test-only hook:
the hash embedder instead of the real model (instant, no torch). Everything else is the app."""

from __future__ import annotations

import paperplan.wiring
from kb.fakes import HashEmbedder

paperplan.wiring.make_embedder = lambda name: HashEmbedder()  # type: ignore[assignment]

if __name__ == "__main__":
    from paperplan.cli import main

    main()
