"""microdrama studio gateway: the read side (episode status); the partner gRPC API comes later."""
