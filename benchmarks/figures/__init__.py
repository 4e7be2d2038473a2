"""The figures, one module each; each has ``run(quick) -> Figure``."""
