"""bulletin: a static-site generator for an internal Chinese information bulletin."""

__version__ = "0.1.0"
