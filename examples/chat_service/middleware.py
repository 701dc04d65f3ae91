"""ASGI-style middleware: what is called is known from the annotations, not from a name."""

from typing import Any, Callable, Coroutine, Protocol

# An error hook is an `async def`: calling it makes a coroutine.
ErrorHook = Callable[..., Coroutine[Any, Any, None]]


class App(Protocol):
    async def __call__(self, scope: dict) -> None: ...


class Middleware:
    def __init__(self, app: App, on_error: ErrorHook) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: dict) -> None:
        try:
            self.app(scope)  # an instance whose class has an async `__call__`
        except Exception:
            report(self.on_error, scope)


def report(hook: ErrorHook, scope: dict) -> None:
    hook(scope)  # a parameter annotated `Callable[..., Coroutine[...]]`
