"""ASL2xx: blocking calls inside coroutines."""
