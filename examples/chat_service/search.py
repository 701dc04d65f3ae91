"""Searches the stored messages through a small query builder, awaited like an ORM's query set."""

from __future__ import annotations

from typing import Any, Generator


class MessageQuery:
    """A query: built with `filter()`, run by awaiting it (it is not iterable)."""

    def __init__(self, conditions: dict[str, Any] | None = None) -> None:
        self.conditions = conditions or {}

    def filter(self, **conditions: Any) -> MessageQuery:
        return MessageQuery({**self.conditions, **conditions})

    def __await__(self) -> Generator[Any, None, list[dict]]:
        return self._run().__await__()

    async def _run(self) -> list[dict]:
        return []


class Search:
    def __init__(self, messages: MessageQuery) -> None:
        self.messages = messages

    async def by_author(self, author: str) -> list[str]:
        # Bug: the query is iterated, not awaited: `for` raises TypeError on it.
        return [m["text"] for m in self.messages.filter(author=author)]

    async def rooms_of(self, author: str) -> set[str]:
        # Bug: the same, through a name.
        found = self.messages.filter(author=author)
        return {m["room"] for m in found}

    async def count(self) -> int:
        return len(await self.messages)

    async def busiest(self, rooms: list[str], best: int | None = None) -> int | None:
        for room in rooms:
            # Bug: `best` is declared to hold a number; this binds a coroutine instead.
            best = self.count()
        return best
