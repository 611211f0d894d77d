"""`make bench`: speed and memory measurements."""

import sys

from bench.harness import run_all

if __name__ == "__main__":
    sys.exit(run_all("bench", sys.argv[1:]))
