"""microdrama studio gateway: the partner gRPC API (tenants, uploads, submissions, progress) and episode status."""
