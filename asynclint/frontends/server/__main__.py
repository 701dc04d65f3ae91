import sys

from asynclint.frontends.server import main

sys.exit(main(sys.argv[1:]))
