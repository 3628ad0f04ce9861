"""microdrama QC service: automated checks and the episode report."""
