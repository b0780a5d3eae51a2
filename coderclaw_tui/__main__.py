"""`python -m coderclaw_tui` is the same as the `coderclaw` command."""

import sys

from coderclaw_tui.cli import main

sys.exit(main())
