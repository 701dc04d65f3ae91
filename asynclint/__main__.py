from asynclint.cli import entry

entry()
