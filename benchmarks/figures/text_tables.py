"""A table read out of text (100k rows), against pandas' own reader on the same text.

Servers send data as text (issue 11, item 4): the subject is always the path a user takes,
``ToolResult(raw).to_dataframe()`` on a result built in memory the way the server sends it;
the baseline is what pandas itself offers for that text:

- CSV inside ``{"content": ...}`` with a ``.csv`` path argument (filesystem's ``read_text_file``),
  and the same CSV as a bare text block, its format sniffed: ``pd.read_csv``;
- TSV: ``pd.read_csv(sep="\\t")``;
- JSON records: ``pd.read_json``; JSON ``{"columns", "data"}``: ``pd.read_json(orient="split")``;
- columns with SQL types (``{"columns": [{"name", "type"}], "rows"}``): ``json.loads``, then
  ``pd.DataFrame(rows, columns=...)`` and ``astype`` to the same dtypes, as one would by hand;
- NDJSON: ``pd.read_json(lines=True)``;
- a Markdown table: pandas has no Markdown reader; the baseline is the usual recipe giving the
  same frame: ``pd.read_csv(sep="|", skipinitialspace=True)`` without the delimiter row and the
  empty edge columns, names and text cells stripped of their spaces;
- a Python literal (``str(rows)``): ``pd.DataFrame(ast.literal_eval(text))``.

Each pair is timed interleaved, round by round; the figure is the median of the per-round ratios.
"""

from __future__ import annotations

import ast
import csv
import gc
import io
import json
import random
from collections.abc import Callable
from typing import Any

from _harness import Figure, compare, fmt_ratio, rounds_of, timed

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")
COLUMNS = ("id", "species", "island", "bill_length_mm", "body_mass_g", "sex", "day")
SQL_TYPES = ("BIGINT", "VARCHAR", "VARCHAR", "DOUBLE", "INTEGER", "VARCHAR", "DATE")


def rows(n: int) -> list[list[Any]]:
    rng = random.Random(11)
    return [
        [
            i,
            SPECIES[i % 3],
            ISLANDS[(i // 3) % 3],
            round(rng.uniform(32, 60), 1),
            rng.randint(2700, 6300),
            "female" if i % 2 else "male",
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
        ]
        for i in range(n)
    ]


def delimited(data: list[list[Any]], sep: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(data)
    return out.getvalue()


def markdown(data: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in data]
    return "\n".join(lines) + "\n"


def result(text: str, structured: Any = None, arguments: dict[str, Any] | None = None) -> Any:
    import mcp_types as types

    from mcp_notebook.results import ToolResult

    raw = types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)
    return ToolResult(raw, server="bench", tool="read", arguments=arguments)


def cases(n: int) -> list[tuple[str, str, Callable[[], Any], Callable[[], Any]]]:
    """(name, baseline label, subject, baseline) for each kind of text."""
    import pandas as pd

    data = rows(n)
    records = [dict(zip(COLUMNS, r, strict=True)) for r in data]
    csv_text = delimited(data, ",")
    tsv_text = delimited(data, "\t")
    json_text = json.dumps(records)
    split_text = json.dumps({"columns": list(COLUMNS), "data": data})
    typed = {"columns": [{"name": c, "type": t} for c, t in zip(COLUMNS, SQL_TYPES, strict=True)], "rows": data}
    typed_text = json.dumps(typed)
    ndjson_text = "\n".join(json.dumps(r) for r in records) + "\n"
    md_text = markdown(data)
    literal_text = str(records)
    dtypes = {"id": "Int64", "bill_length_mm": "float64", "body_mass_g": "Int64", "species": "string"}

    def by_hand(text: str = typed_text) -> Any:
        value = json.loads(text)
        frame = pd.DataFrame(value["rows"], columns=[c["name"] for c in value["columns"]])
        frame = frame.astype(dtypes)
        frame["island"] = frame["island"].astype("string")
        frame["sex"] = frame["sex"].astype("string")
        frame["day"] = pd.to_datetime(frame["day"], format="ISO8601")
        return frame

    def md_recipe(text: str = md_text) -> Any:
        frame = pd.read_csv(io.StringIO(text), sep="|", skipinitialspace=True, skiprows=[1]).iloc[:, 1:-1]
        frame.columns = [c.strip() for c in frame.columns]
        for name in ("species", "island", "sex", "day"):
            frame[name] = frame[name].str.strip()
        return frame

    in_content = result(csv_text, {"content": csv_text}, {"path": "/data/penguins.csv"})
    return [
        (
            "CSV in {content} (read_text_file, .csv path)",
            "pd.read_csv",
            in_content.to_dataframe,
            lambda: pd.read_csv(io.StringIO(csv_text)),
        ),
        (
            "CSV text, format sniffed",
            "pd.read_csv",
            result(csv_text).to_dataframe,
            lambda: pd.read_csv(io.StringIO(csv_text)),
        ),
        (
            "TSV text, format sniffed",
            "pd.read_csv(sep='\\t')",
            result(tsv_text).to_dataframe,
            lambda: pd.read_csv(io.StringIO(tsv_text), sep="\t"),
        ),
        (
            "JSON records text",
            "pd.read_json",
            result(json_text).to_dataframe,
            lambda: pd.read_json(io.StringIO(json_text)),
        ),
        (
            "JSON {columns, data} text",
            "pd.read_json(orient='split')",
            result(split_text).to_dataframe,
            lambda: pd.read_json(io.StringIO(split_text), orient="split"),
        ),
        ("columns with SQL types", "json.loads + DataFrame + astype", result(typed_text).to_dataframe, by_hand),
        (
            "NDJSON text",
            "pd.read_json(lines=True)",
            result(ndjson_text).to_dataframe,
            lambda: pd.read_json(io.StringIO(ndjson_text), lines=True),
        ),
        ("Markdown table", "pd.read_csv(sep='|') recipe", result(md_text).to_dataframe, md_recipe),
        (
            "Python literal (str(rows))",
            "pd.DataFrame(ast.literal_eval(text))",
            result(literal_text).to_dataframe,
            lambda: pd.DataFrame(ast.literal_eval(literal_text)),
        ),
    ]


def run(quick: bool) -> Figure:
    fig = Figure("text-tables")
    n = 5_000 if quick else 100_000
    rounds = 2 if quick else 9
    fig.data["rows"] = n
    for name, base_label, subject, baseline in cases(n):
        ours, theirs = subject(), baseline()
        if ours.shape != theirs.shape or list(ours.columns) != list(theirs.columns):
            fig.notes.append(f"{name}: {ours.shape} {list(ours.columns)} differs from the baseline's")
        gc.collect()
        # literal_eval of 100k records takes seconds: fewer rounds for it.
        times = rounds if "literal" not in name or quick else 4
        got = rounds_of({"subject": timed(subject), "baseline": timed(baseline)}, times, 1, warmup=1)
        c = compare(got["subject"], got["baseline"])
        fig.data[name] = c
        fig.row(f"to_dataframe(), {name}, {n:,} rows", base_label, fmt_ratio(c), "≤ 1.2×", c["ratio"] <= 1.2, c)
    return fig
