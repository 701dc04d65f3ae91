"""Facts several rule families use (coroutine calls, name bindings, awaits, fix builders)."""
