"""Checking one file: the rule base class, the per-file context rules report into, the walker
that runs every rule in one traversal, and the fixer."""
