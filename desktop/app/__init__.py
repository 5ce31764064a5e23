"""Application start-up: command line, logging, error handling, event loop."""
