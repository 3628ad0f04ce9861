"""Runtime: the event transport, stage runners and the embedded stack."""
