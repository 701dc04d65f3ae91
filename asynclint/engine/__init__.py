"""The engine: reading source, libcst parsing helpers, the traversal, positions, noqa, the
semantic model (scopes and bindings) and the diagnostics every layer above reports with."""
