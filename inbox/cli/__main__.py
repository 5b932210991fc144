import contextlib
import sys

from inbox.cli import main

with contextlib.suppress(KeyboardInterrupt):
    sys.exit(main())
