"""microdrama character service: identity lock across shots and episodes."""
