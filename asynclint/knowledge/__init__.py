"""The catalogue's loader: what `rules/*.toml` says about libraries (what blocks and its
replacement, task spawners, sync-callback APIs). The lowest layer: it imports nothing of asynclint."""
