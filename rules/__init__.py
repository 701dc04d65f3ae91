"""The rule catalogue: data files (TOML) read with importlib.resources; no code lives here."""
