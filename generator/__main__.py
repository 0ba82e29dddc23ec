"""`python -m generator` and the `bulletin` command."""

import os
import sys

from .cli import main


def run() -> None:
    """Run the command, then end the process without freeing, one object at a time, the hundreds
    of thousands a build leaves (cli._last_in_process): the system takes the memory back at once.
    Nothing is left to flush but the standard streams: every file is closed where it is written."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
