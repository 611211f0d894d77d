#!/bin/sh
# The README's screenshots are the TUI snapshot tests' SVGs (seeded KB, fixed clock) as PNGs.
# Needs rsvg-convert (Debian: apt-get install librsvg2-bin fonts-wqy-microhei for the Chinese).
# Run from the repo root after `pytest tests/test_tui_snapshots.py --snapshot-update`.
set -e
src=tests/__snapshots__/test_tui_snapshots
out=docs/screenshots
for pair in dashboard:test_dashboard_with_chinese_topics library:test_library \
            paper:test_paper_at_a_cited_passage_with_its_note ask:test_ask_with_a_streamed_cited_answer \
            quiz:test_quiz_after_an_answer_shows_the_source picks:test_picks jobs:test_jobs; do
    rsvg-convert -w 1200 "$src/${pair#*:}.svg" -o "$out/${pair%%:*}.png"
done
