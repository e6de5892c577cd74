"""`python -m bench.image`."""

import sys

from bench.image.run import main

sys.exit(main())
