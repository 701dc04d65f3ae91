from asynclint.frontends.cli import entry

entry()
