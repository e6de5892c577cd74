"""`python -m bench.compute`."""

import sys

from bench.compute.run import main

sys.exit(main())
