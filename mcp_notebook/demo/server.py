"""The embedded demo server: the Palmer penguins, served over MCP.

Built on ``mcp.server.mcpserver.MCPServer``, so it speaks both protocol eras (2026-07-28 through
``server/discover``, 2025-11-25 and older through ``initialize``). It shows what a client meets
in the wild: tabular structured content, an output schema, an image (SVG) and a PNG, audio, a
slow tool with progress that can be cancelled, a tool that fails, CSV/JSON/Markdown resources,
a resource template, prompts with arguments and completions, and an MCP App (``explore``: an
interactive scatter plot whose ``ui://`` page asks the server again when the user filters).

Data: the Palmer penguins (Gorman, Williams & Fraser 2014; Palmer Station LTER), released under
CC0 1.0; the CSV is the ``penguins.csv`` of the palmerpenguins package (Horst, Hill & Gorman).
"""

from __future__ import annotations

import csv
import json
import statistics
import warnings
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import (
    AcceptedElicitation,
    Audio,
    Context,
    Elicit,
    ElicitationResult,
    Image,
    ListRoots,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resolve import Sample
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import (
    CallToolResult,
    Completion,
    CreateMessageResult,
    ListRootsResult,
    PromptReference,
    ResourceTemplateReference,
    SamplingMessage,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, Field

from ._media import heatmap_png, scatter_svg, tone_wav

__all__ = ["build_server"]

# ctx.info() is how a 2025-era client sees log lines; its deprecation notice must not flood stderr.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

NUMERIC = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year")
TEXT = ("species", "island", "sex")
COLUMNS = ("species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year")
Column = Literal[
    "species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year"
]
NumericColumn = Literal["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
GroupColumn = Literal["species", "island", "sex", "year"]
Species = Literal["Adelie", "Chinstrap", "Gentoo"]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

ABOUT = """# The Palmer penguins

Size measurements for **344 penguins** of three species (*Adelie*, *Chinstrap*, *Gentoo*)
observed on three islands of the Palmer Archipelago, Antarctica, 2007–2009.

| column | meaning |
|---|---|
| `species`, `island`, `sex` | text |
| `bill_length_mm`, `bill_depth_mm`, `flipper_length_mm` | millimetres |
| `body_mass_g` | grams |
| `year` | year observed |

Data: Gorman KB, Williams TD, Fraser WR (2014), Palmer Station Antarctica LTER.
Licence: [CC0 1.0](https://creativecommons.org/publicdomain/zero/1.0/).
"""


@cache
def penguins() -> list[dict[str, Any]]:
    """The data set as records; numbers as numbers, "NA" as None."""
    text = resources.files("mcp_notebook.demo").joinpath("data/penguins.csv").read_text()
    rows = []
    for raw in csv.DictReader(text.splitlines()):
        row: dict[str, Any] = {}
        for key in COLUMNS:
            value = raw[key]
            if value in ("NA", ""):
                row[key] = None
            elif key in NUMERIC:
                row[key] = int(value) if key in ("flipper_length_mm", "body_mass_g", "year") else float(value)
            else:
                row[key] = value
        rows.append(row)
    return rows


def _select(species: str | None, island: str | None, sex: str | None, year: int | None) -> list[dict[str, Any]]:
    def keep(r: dict[str, Any]) -> bool:
        return (
            (species is None or r["species"] == species)
            and (island is None or r["island"] == island)
            and (sex is None or r["sex"] == sex)
            and (year is None or r["year"] == year)
        )

    return [r for r in penguins() if keep(r)]


def _csv(rows: Iterable[dict[str, Any]]) -> str:
    out = [",".join(COLUMNS)]
    for r in rows:
        out.append(",".join("NA" if r[c] is None else str(r[c]) for c in COLUMNS))
    return "\n".join(out) + "\n"


class GroupStats(BaseModel):
    group: str = Field(description="The value of the grouping column")
    count: int = Field(description="Rows with a value")
    mean: float | None
    std: float | None
    min: float | None
    max: float | None


class Summary(BaseModel):
    """Statistics of one numeric column, per group."""

    column: str
    by: str
    groups: list[GroupStats]


class Adopter(BaseModel):
    """Who adopts a penguin (asked of the user through elicitation)."""

    name: str = Field(description="Your name")
    email: str = Field(default="", description="Where to send the certificate")
    species: Species = Field(default="Gentoo", description="Which species")
    newsletter: bool = Field(default=False, description="Monthly penguin news")


class Measurement(BaseModel):
    """Mean measurements of one group of penguins."""

    species: str
    island: str | None = Field(description="The island, or None for all of them")
    count: int = Field(description="Penguins in the group")
    bill_length_mm: float | None
    flipper_length_mm: float | None
    body_mass_g: float | None


class Guess(BaseModel):
    """A species guessed from measurements."""

    species: str = Field(description="The nearest species")
    distance: float = Field(description="Distance to that species' mean, in standard deviations")
    runner_up: str = Field(description="The second nearest species")


FEATURES = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm")
APP_URI = "ui://demo/penguins-explorer.html"
APP_MIME = "text/html;profile=mcp-app"


class Point(BaseModel):
    x: float
    y: float
    species: str
    island: str


class Scatter(BaseModel):
    """The points of a scatter plot of two numeric columns (what the explorer App draws)."""

    x: str
    y: str
    species: str | None = Field(description="The species kept, or None for all")
    island: str | None = Field(description="The island kept, or None for all")
    count: int
    points: list[Point]


@cache
def _centroids() -> tuple[dict[str, tuple[float, ...]], tuple[float, ...]]:
    """Per-species means of FEATURES, and each feature's overall standard deviation."""
    complete = [r for r in penguins() if all(r[f] is not None for f in FEATURES)]
    scale = tuple(statistics.stdev(float(r[f]) for r in complete) for f in FEATURES)
    means = {}
    for name in sorted({r["species"] for r in complete}):
        rows = [r for r in complete if r["species"] == name]
        means[name] = tuple(statistics.fmean(float(r[f]) for r in rows) for f in FEATURES)
    return means, scale


def _mean(rows: list[dict[str, Any]], column: str) -> float | None:
    values = [float(r[column]) for r in rows if r[column] is not None]
    return round(statistics.fmean(values), 2) if values else None


def _ask_adopter(penguin: str) -> Elicit[Adopter]:
    return Elicit(f"You are adopting {penguin}. Who is the new keeper?", Adopter)


def _ask_haiku(topic: str) -> Sample:
    prompt = f"Write a haiku about {topic}, for a penguin enthusiast."
    return Sample([SamplingMessage(role="user", content=TextContent(type="text", text=prompt))], max_tokens=60)


def _ask_roots() -> ListRoots:
    return ListRoots()


def build_server() -> MCPServer:
    """A fresh demo server (one per process; tests may build more, in process)."""
    mcp = MCPServer(
        "mcp-notebook-demo",
        title="Palmer penguins demo",
        version="1.0",
        instructions=(
            "Palmer penguins data (344 rows). Use `query` to filter rows, `summarize` for statistics, "
            "`plot` for a scatter plot, `slow_count` to see progress, `fail` to see a tool error, "
            "`measure` and `classify` to map over rows."
        ),
    )

    @mcp.tool(title="Query penguins", annotations=READ_ONLY)
    def query(
        species: Annotated[Species | None, Field(description="Keep one species")] = None,
        island: Annotated[Literal["Biscoe", "Dream", "Torgersen"] | None, Field(description="Keep one island")] = None,
        sex: Annotated[Literal["male", "female"] | None, Field(description="Keep one sex")] = None,
        year: Annotated[int | None, Field(description="Keep one year (2007-2009)", ge=2007, le=2009)] = None,
        columns: Annotated[list[Column] | None, Field(description="Columns to return (default: all)")] = None,
        sort_by: Annotated[Column | None, Field(description="Sort by this column")] = None,
        descending: bool = False,
        limit: Annotated[int, Field(description="Most rows to return", ge=0, le=1000)] = 10,
        offset: Annotated[int, Field(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        """Rows of the penguins table matching every filter given."""
        rows = _select(species, island, sex, year)
        if sort_by is not None:
            present = [r for r in rows if r[sort_by] is not None]
            missing = [r for r in rows if r[sort_by] is None]
            rows = sorted(present, key=lambda r: r[sort_by], reverse=descending) + missing
        rows = rows[offset : offset + limit]
        if columns:
            rows = [{c: r[c] for c in columns} for r in rows]
        return rows

    @mcp.tool(title="Summary statistics", annotations=READ_ONLY)
    def summarize(column: NumericColumn = "body_mass_g", by: GroupColumn = "species") -> Summary:
        """Count, mean, standard deviation, min and max of a numeric column, per group."""
        groups: dict[str, list[float]] = {}
        for r in penguins():
            if r[by] is not None:
                groups.setdefault(str(r[by]), [])
                if r[column] is not None:
                    groups[str(r[by])].append(float(r[column]))
        stats = []
        for name in sorted(groups):
            values = groups[name]
            stats.append(
                GroupStats(
                    group=name,
                    count=len(values),
                    mean=round(statistics.fmean(values), 3) if values else None,
                    std=round(statistics.stdev(values), 3) if len(values) > 1 else None,
                    min=min(values) if values else None,
                    max=max(values) if values else None,
                )
            )
        return Summary(column=column, by=by, groups=stats)

    @mcp.tool(title="Scatter plot", annotations=READ_ONLY, structured_output=False)
    def plot(
        x: NumericColumn = "bill_length_mm", y: NumericColumn = "bill_depth_mm", color: GroupColumn = "species"
    ) -> list[Any]:
        """A scatter plot of two numeric columns, coloured by a grouping column (SVG)."""
        points = [
            (float(r[x]), float(r[y]), str(r[color]))
            for r in penguins()
            if r[x] is not None and r[y] is not None and r[color] is not None
        ]
        svg = scatter_svg(points, x, y, f"{y} vs {x} by {color}")
        return [f"{len(points)} penguins, {y} against {x}, coloured by {color}.", Image(data=svg, format="svg+xml")]

    @mcp.tool(
        title="Explore the penguins (an App)",
        annotations=READ_ONLY,
        meta={"ui": {"resourceUri": APP_URI}},
    )
    def explore(
        x: NumericColumn = "bill_length_mm",
        y: NumericColumn = "bill_depth_mm",
        species: Annotated[Species | None, Field(description="Keep one species")] = None,
        island: Annotated[Literal["Biscoe", "Dream", "Torgersen"] | None, Field(description="Keep one island")] = None,
    ) -> Annotated[CallToolResult, Scatter]:
        """A scatter plot of two columns. Where the client hosts MCP Apps it is interactive: filter by
        species or island and the App asks the server again (through `query`)."""
        rows = [r for r in _select(species, island, None, None) if r[x] is not None and r[y] is not None]
        points = [Point(x=r[x], y=r[y], species=r["species"], island=r["island"]) for r in rows]
        scatter = Scatter(x=x, y=y, species=species, island=island, count=len(points), points=points)
        kept = " ".join(filter(None, [species, f"on {island}" if island else None])) or "all species"
        text = f"{len(points)} penguins ({kept}): {y} against {x}."
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=scatter.model_dump(mode="json")
        )

    @mcp.resource(
        APP_URI,
        name="penguins-explorer",
        title="The penguins explorer (an MCP App)",
        mime_type=APP_MIME,
        meta={"ui": {"prefersBorder": False}},
    )
    def explorer_app() -> str:
        """The HTML of the `explore` tool's interactive view (MCP Apps)."""
        return resources.files("mcp_notebook.demo").joinpath("penguins_app.html").read_text()

    @mcp.tool(title="Count slowly")
    async def slow_count(
        ctx: Context, n: Annotated[int, Field(ge=1, le=1000)] = 5, delay: Annotated[float, Field(ge=0, le=60)] = 0.5
    ) -> str:
        """Count to n, waiting `delay` seconds per step and reporting progress (cancel it anytime)."""
        for i in range(1, n + 1):
            await anyio.sleep(delay)
            await ctx.report_progress(i, n, f"counted {i} of {n}")
            if i == 1 or i == n:
                await ctx.info(f"slow_count reached {i} of {n}")
        return f"counted to {n}"

    @mcp.tool(title="Always fails")
    async def fail(ctx: Context, message: str = "this tool always fails") -> str:
        """Report a tool error (isError), as a tool does when it cannot do what was asked."""
        await ctx.warning(f"fail was called: {message}")
        raise ToolError(message)

    @mcp.tool(title="Play a tone", annotations=READ_ONLY)
    def tone(
        frequency: Annotated[float, Field(ge=50, le=4000)] = 440.0, seconds: Annotated[float, Field(gt=0, le=5)] = 1.0
    ) -> Audio:
        """A sine tone as WAV audio."""
        return Audio(data=tone_wav(frequency, seconds), format="wav")

    @mcp.tool(title="Adopt a penguin")
    def adopt(
        penguin: Annotated[str, Field(description="The penguin's name")],
        keeper: Annotated[ElicitationResult[Adopter], Resolve(_ask_adopter)],
    ) -> str:
        """Adopt a penguin: the server asks you (elicitation) who the keeper is."""
        if isinstance(keeper, AcceptedElicitation):
            who = keeper.data
            news = " and gets the newsletter" if who.newsletter else ""
            return f"{who.name} now keeps {penguin}, a {who.species}{news}."
        outcome = {"decline": "declined", "cancel": "cancelled"}.get(keeper.action, keeper.action)
        return f"No adoption: the request was {outcome}."

    @mcp.tool(title="Write a haiku")
    def haiku(
        topic: str = "penguins",
        reply: Annotated[CreateMessageResult | None, Resolve(_ask_haiku)] = None,
    ) -> str:
        """Ask the client's LLM (sampling) for a haiku; the notebook shows you the request first."""
        text = getattr(reply.content, "text", None) if reply is not None else None
        return text or "(no haiku)"

    @mcp.tool(title="Your roots", annotations=READ_ONLY)
    def roots(offered: Annotated[ListRootsResult, Resolve(_ask_roots)]) -> list[dict[str, str]]:
        """The folders the client offers this server (its roots)."""
        return [{"uri": str(r.uri), "name": r.name or ""} for r in offered.roots]

    counter = {"count": 0}

    @mcp.resource("demo://counter", name="counter", title="A counter", mime_type="application/json")
    def counter_resource() -> str:
        """A number that `bump` increases; subscribe to see it change."""
        return json.dumps(counter)

    @mcp.tool(title="Bump the counter")
    async def bump(ctx: Context, by: int = 1) -> int:
        """Increase demo://counter, telling subscribers it changed."""
        counter["count"] += by
        await ctx.notify_resource_updated("demo://counter")
        return counter["count"]

    @mcp.tool(title="Unlock a bonus tool")
    async def unlock(ctx: Context) -> str:
        """Add the tool `bonus` and tell the client its tool list changed."""
        if "bonus" not in {t.name for t in await mcp.list_tools()}:

            def bonus() -> str:
                """A tool that appeared after `unlock`."""
                return "🎁 you found the bonus tool"

            mcp.add_tool(bonus, name="bonus", title="Bonus")
        await ctx.notify_tools_changed()
        return "unlocked: `bonus` is now listed"

    @mcp.tool(title="Echo", annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True))
    def echo(text: str = "") -> str:
        """Return the text unchanged (a fast tool, handy for timing)."""
        return text

    @mcp.tool(title="Measure a group (slowly)", annotations=READ_ONLY)
    async def measure(
        species: Species,
        island: Annotated[Literal["Biscoe", "Dream", "Torgersen"] | None, Field(description="Keep one island")] = None,
        delay: Annotated[float, Field(ge=0, le=5, description="Seconds to take, as a slow lab would")] = 0.02,
    ) -> Measurement:
        """Mean bill, flipper and mass of one species (on one island), after `delay` seconds.

        Slow per call, for mapping over rows (`%mcp map`); a species never seen on that island is
        a tool error.
        """
        await anyio.sleep(delay)
        rows = _select(species, island, None, None)
        if not rows:
            raise ToolError(f"no {species} penguins were observed on {island}")
        return Measurement(
            species=species,
            island=island,
            count=len(rows),
            bill_length_mm=_mean(rows, "bill_length_mm"),
            flipper_length_mm=_mean(rows, "flipper_length_mm"),
            body_mass_g=_mean(rows, "body_mass_g"),
        )

    @mcp.tool(title="Guess the species", annotations=READ_ONLY)
    def classify(
        bill_length_mm: float | None = None, bill_depth_mm: float | None = None, flipper_length_mm: float | None = None
    ) -> Guess:
        """Guess a penguin's species from its bill and flipper (the nearest species mean).

        Fails (a tool error) when a measurement is missing, as some rows of the data set are.
        """
        given = [bill_length_mm, bill_depth_mm, flipper_length_mm]
        values = [float(v) for v in given if v is not None]
        if len(values) < len(given):
            missing = [f for f, v in zip(FEATURES, given, strict=True) if v is None]
            raise ToolError(f"cannot guess without {', '.join(missing)}")
        means, scale = _centroids()

        def distance(mean: tuple[float, ...]) -> float:
            return float(sum(((v - m) / s) ** 2 for v, m, s in zip(values, mean, scale, strict=True)) ** 0.5)

        distances = sorted((distance(mean), name) for name, mean in means.items())
        return Guess(species=distances[0][1], distance=round(distances[0][0], 3), runner_up=distances[1][1])

    @mcp.resource("demo://datasets/penguins.csv", name="penguins.csv", title="Penguins (CSV)", mime_type="text/csv")
    def penguins_csv() -> str:
        """The whole data set as CSV."""
        return _csv(penguins())

    @mcp.resource(
        "demo://datasets/penguins.json", name="penguins.json", title="Penguins (JSON)", mime_type="application/json"
    )
    def penguins_json() -> str:
        """The whole data set as a JSON list of records."""
        return json.dumps(penguins())

    @mcp.resource("demo://about.md", name="about", title="About the data", mime_type="text/markdown")
    def about() -> str:
        """What the columns mean, where the data comes from, its licence."""
        return ABOUT

    @mcp.resource(
        "demo://images/bill-density.png", name="bill-density", title="Bill size density", mime_type="image/png"
    )
    def bill_density() -> bytes:
        """Density of bill length (x) against bill depth (y), as a PNG heat map."""
        points = [(r["bill_length_mm"], r["bill_depth_mm"]) for r in penguins() if r["bill_length_mm"] is not None]
        return heatmap_png(points)

    @mcp.resource(
        "demo://datasets/penguins/{species}.csv", name="species-csv", title="One species (CSV)", mime_type="text/csv"
    )
    def species_csv(species: str) -> str:
        """The rows of one species (Adelie, Chinstrap or Gentoo) as CSV."""
        rows = _select(species, None, None, None)
        if not rows:
            raise ResourceNotFoundError(f"no species {species!r}; try Adelie, Chinstrap or Gentoo")
        return _csv(rows)

    @mcp.prompt(title="Analyse a data set")
    def analyze(dataset: str = "penguins", question: str = "What differs between the species?") -> str:
        """Ask for an analysis of one of the demo's data sets."""
        return (
            f"You are a careful data analyst. Using the {dataset} data set (read it from "
            f"demo://datasets/{dataset}.csv), answer: {question} Show the numbers you rely on."
        )

    @mcp.prompt(title="Compare two species")
    def compare(species_a: str, species_b: str) -> list[Any]:
        """A short conversation comparing two species."""
        from mcp.server.mcpserver import AssistantMessage, UserMessage

        return [
            UserMessage(f"How do {species_a} and {species_b} penguins differ in size?"),
            AssistantMessage(f"I will compare bill, flipper and body mass of {species_a} and {species_b}."),
        ]

    @mcp.completion()  # type: ignore[untyped-decorator,no-untyped-call]
    async def complete(ref: Any, argument: Any, context: Any) -> Completion | None:
        options: list[str] = []
        if isinstance(ref, PromptReference) and argument.name == "dataset":
            options = ["penguins"]
        elif argument.name in ("species", "species_a", "species_b") and isinstance(
            ref, (PromptReference, ResourceTemplateReference)
        ):
            options = ["Adelie", "Chinstrap", "Gentoo"]
        hits = [o for o in options if o.lower().startswith((argument.value or "").lower())]
        return Completion(values=hits, total=len(hits), has_more=False)

    return mcp
