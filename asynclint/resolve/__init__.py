"""Resolution: module summaries, the project index, and the facts about what names and
expressions hold (coroutine functions, task spawners, blocking receivers)."""
