"""The package's version, in a module of its own so that any module can import it without importing
the package root (which would be an import back up the layers)."""

__version__ = "0.1.0"
