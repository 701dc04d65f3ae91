"""Running: many files through the pipeline (in parallel), the cache, rule selection, progress."""
