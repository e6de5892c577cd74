"""`python -m bench.network`."""

import sys

from bench.network.run import main

sys.exit(main())
