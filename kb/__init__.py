"""The bottom layer: domain types, the study plan, SQLite, vectors and the embedder.

Imports nothing of ours. Heavy engines (chromadb, sentence-transformers) load lazily.
"""
