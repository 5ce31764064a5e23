"""Entry script of the PyInstaller bundle (packaging/tradedesk.spec): the ``tradedesk`` command."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # no-op unless a frozen child process is being started
    from desktop.app.cli import main

    sys.exit(main())
