"""`python -m asynclint` (asynclint/__init__.py keeps the checked project off sys.path)."""

from asynclint.frontends.cli import entry

entry()
