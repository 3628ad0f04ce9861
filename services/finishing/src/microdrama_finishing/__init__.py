"""microdrama finishing service: the Ray driver that finishes an episode stage by stage."""
