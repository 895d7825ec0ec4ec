"""`python -m devserver`: see devserver/runtime.py."""

import sys

from devserver.runtime import main

sys.exit(main())
