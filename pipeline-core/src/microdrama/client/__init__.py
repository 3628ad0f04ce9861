"""The partner side of the gateway API: a connection and the commands built on it."""
