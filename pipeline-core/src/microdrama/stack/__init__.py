"""The local process stack: nats-server, an S3 server, a Ray head and every service, each its own process."""
