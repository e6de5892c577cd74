"""`python -m bench.identity`."""

import sys

from bench.identity.run import main

sys.exit(main())
