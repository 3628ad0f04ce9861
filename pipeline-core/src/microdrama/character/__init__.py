"""Character stage: reference portraits and the identity lock (descriptors and drift scores)."""
