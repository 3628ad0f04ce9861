"""microdrama: production backend for AI-made vertical micro-dramas."""

__version__ = "0.1.0"
