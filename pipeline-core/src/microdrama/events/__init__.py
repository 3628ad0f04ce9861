"""Events: subjects and payload types, the envelope, and the JetStream transport."""
