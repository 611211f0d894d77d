"""LLM work: provider factory, topic mapping, cited Q&A, quizzes, recommendations. Imports kb only."""
