"""``python -m codequest_jupyter.cli``: the ``codequest`` command."""

import sys

from . import main

sys.exit(main())
