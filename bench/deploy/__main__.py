"""`python -m bench.deploy`."""

import sys

from bench.deploy.run import main

sys.exit(main())
