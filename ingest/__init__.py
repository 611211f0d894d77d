"""The door to the outside world: arXiv, PDFs, feeds, the ingest pipeline. Imports kb only."""
