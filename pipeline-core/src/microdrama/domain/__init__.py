"""Domain model: the documents that move between stages (stored as JSON objects)."""
