"""The runtime companion: a pytest plugin that fails a test on what asyncio's debug mode only logs.

It is inert until enabled (`pytest --asynclint-runtime` or `asynclint_runtime = true`); see
docs/runtime.md. Only `plugin` is imported when pytest loads the entry point, and it imports
nothing heavy: the static engine (and libcst) are loaded only to explain a failure.
"""
