import sys

from asynclint.server import main

sys.exit(main(sys.argv[1:]))
