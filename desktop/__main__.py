"""``python -m desktop``: same as the ``tradedesk`` command."""

from desktop.app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
