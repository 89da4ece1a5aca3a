"""``python -m jdmodel.cli``: the command line without the console script."""

import sys

from jdmodel.cli import main

sys.exit(main())
