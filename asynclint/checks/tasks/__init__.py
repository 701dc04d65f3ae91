"""ASL3xx: tasks that can vanish."""
