"""Configuration: the options table, settings from pyproject.toml and the command line, rule
codes, file discovery, and the project's pytest setup read as text. Imports only `knowledge`."""
