"""ASL1xx: coroutines never awaited, and coroutine misuse."""
