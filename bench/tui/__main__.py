"""`python -m bench.tui`."""

import sys

from bench.tui.run import main

sys.exit(main())
