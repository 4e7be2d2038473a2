"""Several resources read at once: ``server.read_many([...])`` and ``%mcp read SERVER URI URI …``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import UsageProblem
from .other_frames import LIBRARIES
from .render import MUTED, esc
from .results import ResourceResult, mimebundle

__all__ = ["ReadResults"]


class ReadResults(list[ResourceResult]):
    """A list of ``ResourceResult`` in the order asked for, shown one after the other."""

    def to_dataframes(self, key: str | None = None, *, format: str | None = None, to: str = "pandas") -> dict[str, Any]:
        """``{uri: DataFrame}`` for every resource; ``key`` and ``format`` as in ``ResourceResult.to_dataframe``.

        ``to``: ``"pandas"``, ``"polars"`` or ``"arrow"``, the library the frames are of.
        """
        if to not in LIBRARIES:
            raise UsageProblem(f"to_dataframes(to={to!r}): say one of {', '.join(map(repr, LIBRARIES))}")
        return {r.uri: _frame(r, to)(key, format=format) for r in self}

    def __repr__(self) -> str:
        return (
            f"<ReadResults {len(self)} resources: {', '.join(r.uri for r in self[:5])}{' …' if len(self) > 5 else ''}>"
        )

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        plain, parts = [], []
        for result in self:
            bundle = result._repr_mimebundle_()
            plain.append(bundle.get("text/plain", repr(result)))
            if "text/html" in bundle:
                parts.append(bundle["text/html"])
            else:  # Markdown or an image alone: its text stands in (the item displays fully by itself)
                parts.append(f"<pre>{esc(bundle.get('text/plain', repr(result)))}</pre>")
        title = f'<div style="{MUTED}">{len(self)} resources · [i] is each one</div>'
        html = title + "<hr>".join(parts)
        return mimebundle({"text/plain": "\n\n".join(plain), "text/html": html}, include, exclude)


def _frame(result: ResourceResult, to: str) -> Any:
    return {"pandas": result.to_dataframe, "polars": result.to_polars, "arrow": result.to_arrow}[to]
