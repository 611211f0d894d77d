"""`make eval`: quality measurements (topic accuracy, retrieval recall, citations, cards)."""

import sys

from bench.harness import run_all

if __name__ == "__main__":
    sys.exit(run_all("eval", sys.argv[1:]))
