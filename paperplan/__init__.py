"""paperplan's composition root: CLI, settings, paths, wiring and the scheduler service."""

__version__ = "0.1.0"
