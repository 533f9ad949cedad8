"""``python -m codequest_jupyter``: the ``codequest`` command."""

import sys

from .cli import main

sys.exit(main())
