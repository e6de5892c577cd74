"""`python -m installer.worker RUN_DIR`: a deployment run's own process."""

from __future__ import annotations

import sys
from pathlib import Path

from installer.deployment import execute
from installer.runs import Run

if __name__ == "__main__":
    sys.exit(execute(Run(Path(sys.argv[1]))))
