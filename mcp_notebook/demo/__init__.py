"""The embedded demo server: ``python -m mcp_notebook.demo`` (stdio), ``--http PORT``, ``--sse PORT``."""
