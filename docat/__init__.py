"""PDF Docat: what the API, the worker and the CLI share."""

__version__ = "0.1.0"
