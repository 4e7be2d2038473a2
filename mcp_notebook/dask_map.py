"""A map over a Dask DataFrame: ``server.map(tool, ddf, ...)`` returns a lazy Dask DataFrame.

This is the kernel's side (``_dask_worker`` is the workers'). Nothing is called here: the tool's
listing is read, the arguments are checked against the frame's columns (Dask's empty ``meta``),
and ``map_partitions`` is given the columns the result will have — the result's fields as the
tool's output schema names and types them, then ``status``, ``error``, ``duration_ms``, on the
input's index (``keep``: the input's columns first). The calls run when the frame is computed,
on the cluster of the active ``distributed.Client`` (or Dask's default scheduler), each worker on
its own connection to the same server.

The rules of ``map`` hold, per worker: ``concurrency`` calls at once in each worker process (a
tool not marked read-only must say how many: each worker has its own connection, so rows overlap
across workers whatever it is); ``rate`` for the whole cluster (the scheduler hands out the call
slots, ``_dask_plugins.Pacer``); ``retries`` per row; a failing row never sinks its partition.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import mapping, schema_frames, type_names
from ._dask_worker import Job, WorkerTarget, map_partition
from ._map_plan import READ_ONLY_CONCURRENCY
from .connection import Connection
from .errors import UsageProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DASK_EXTRA", "is_dask_frame", "map_dask", "result_columns", "worker_target"]

DASK_EXTRA = "pip install 'mcp-notebook[dask]'"
_SALT = secrets.token_bytes(16)  # fingerprints of targets say nothing of the secrets inside


def is_dask_frame(data: Any) -> bool:
    """Whether ``data`` is a Dask DataFrame (without importing Dask)."""
    module = type(data).__module__ or ""
    return module.split(".")[0] in ("dask", "dask_expr") and hasattr(data, "map_partitions") and hasattr(data, "_meta")


def map_dask(
    conn: Connection,
    found: Any,
    tool: str,
    data: Any,
    args: Any,
    options: Mapping[str, Any],
    meta: Any = None,
) -> Any:
    """The lazy Dask DataFrame of ``tool`` mapped over ``data`` (see the module docstring)."""
    what = f"{conn.name}.{tool}"
    try:
        import dask.dataframe  # noqa: F401
    except ImportError as e:
        raise UsageProblem(f"{what}: a map over a Dask DataFrame needs dask and distributed: {DASK_EXTRA}") from e
    if options["workers"] != 1:
        raise UsageProblem(
            f"{what}: workers= opens more connections in this kernel; on a Dask cluster each worker has its "
            "own connection already: add Dask workers instead"
        )
    mapping.plan_arguments(data._meta, args, found.input_schema, what)  # checks columns, required arguments
    ann = found.annotations
    concurrency = options["concurrency"]
    if concurrency is None:
        if not (ann is not None and ann.read_only_hint):
            raise UsageProblem(
                f"{what} is not marked read-only, so map runs it one row at a time; on a Dask cluster each worker "
                "has its own connection and runs rows at the same time as the others: if its calls are safe to "
                "overlap, say how many at once per worker: --concurrency N (concurrency=N)"
            )
        concurrency = READ_ONLY_CONCURRENCY
    columns, dtypes = result_columns(found.output_schema, meta, what)
    client = _active_client()
    if client is not None:
        _register_plugins(client, pace=bool(options["rate"]))
    job = Job(
        target=worker_target(conn, what), tool=tool, args=args, input_schema=found.input_schema,
        output_schema=found.output_schema, columns=tuple(columns), dtypes=dtypes, concurrency=concurrency,
        rate=options["rate"], retries=options["retries"], timeout=options["timeout"], validate=options["validate"],
        keep=options["keep"], map_id=secrets.token_hex(8), paced_by_scheduler=client is not None,
        columns_from="meta=" if meta is not None else "its output schema" if _schema_names(found.output_schema) else "",
    )  # fmt: skip
    empty = _meta_frame(columns, dtypes, data._meta.index)
    if options["keep"]:
        empty = mapping.with_input(empty, data._meta)
    return data.map_partitions(map_partition, job, meta=empty, token=f"mcp-map-{what}", align_dataframes=False)


def result_columns(
    schema: Mapping[str, Any] | None, meta: Any = None, what: str = "the map"
) -> tuple[list[str], dict[str, str]]:
    """(the result's columns before status/error/duration_ms, their dtypes): from ``meta`` when
    given, else the output schema's properties (nested objects as ``a.b``), else ``result``."""
    import pandas as pd

    if meta is not None:
        if not isinstance(meta, pd.DataFrame):
            raise UsageProblem(f"{what}: meta is a DataFrame with the result's columns, not {type(meta).__name__}")
        kept = [str(c) for c in meta.columns if c not in mapping.META]
        return kept, {c: str(meta[c].dtype) for c in kept}
    names = _schema_names(schema) or ["result"]
    empty = pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    typed = type_names.apply_types(empty, schema_frames.column_types(schema))
    return names, {n: str(typed[n].dtype) for n in names}


def _schema_names(schema: Mapping[str, Any] | None) -> list[str]:
    """The columns ``mapping.row_values`` makes of results that follow ``schema``."""
    root = schema_frames.resolve(schema, schema) if schema else {}
    props = root.get("properties")
    if not isinstance(props, Mapping) or not props:
        return []
    if list(props) == ["result"]:
        return ["result"]  # a wrapped value stays whole (row_values)
    names: list[str] = []

    def walk(properties: Mapping[str, Any], prefix: str, depth: int) -> None:
        for key, raw in properties.items():
            spec = schema_frames.resolve(raw, schema or {})
            inner = spec.get("properties")
            if isinstance(inner, Mapping) and inner and depth < 20:
                walk(inner, f"{prefix}{key}.", depth + 1)
            else:
                names.append(f"{prefix}{key}")

    walk(props, "", 0)
    return [f"result.{n}" if n in mapping.META else n for n in names]


def _meta_frame(columns: list[str], dtypes: Mapping[str, str], index: Any) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, "object")) for c in columns}, index=index)
    frame["status"] = pd.array([], dtype="string")
    frame["error"] = pd.array([], dtype="string")
    frame["duration_ms"] = pd.Series([], dtype="float64")
    return frame


def worker_target(conn: Connection, what: str) -> WorkerTarget:
    """What a worker needs to open its own connection to ``conn``'s server (secrets included, never shown)."""
    spec = conn.spec
    headers = dict(spec.headers)
    auth, server, recording, recording_path, replay_from = spec.auth, spec.server, None, "", None
    if auth is not None and _is_oauth(auth):
        if auth.key_bound:
            raise UsageProblem(
                f"{what}: this connection's tokens are bound to its DPoP key, which never leaves the kernel, so "
                "Dask workers cannot use them; connect without --dpop to map on a cluster"
            )
        token = auth.bearer()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"  # as it is now: workers do not sign in
        auth = None
    if spec.transport == "in-process":
        from .replay import ReplayServer

        if isinstance(server, ReplayServer):
            recording, recording_path = server.recording.read_text(encoding="utf-8"), str(server.recording)
            replay_from, server = server.recorded.name, None
    target = WorkerTarget(
        name=conn.name, transport=spec.transport, fingerprint="", command=spec.command, env=dict(spec.env),
        cwd=spec.cwd, url=spec.url, headers=headers, auth=auth, server=server, protocol=spec.protocol,
        demo=spec.demo, recording=recording, recording_path=recording_path, replay_from=replay_from,
        roots=tuple(conn.roots), policy=conn.policy, log_level=conn.options.log_level,
        connect_timeout=conn.options.connect_timeout,
    )  # fmt: skip
    payload = _portable(target, what)
    fingerprint = hmac.new(_SALT, payload, hashlib.sha256).hexdigest()
    return dataclasses.replace(target, fingerprint=fingerprint)


def _is_oauth(auth: Any) -> bool:
    # Imported here, not at the top: auth brings jwt and cryptography (40 ms), which the first %mcp
    # line of every kernel would pay for; a connection with auth has imported it already.
    from .auth import OAuthAuth

    return isinstance(auth, OAuthAuth)


def _portable(target: WorkerTarget, what: str) -> bytes:
    """The target pickled as Dask will send it; what cannot travel is refused here, in one line."""
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps(target))
    except Exception as e:
        part = "its in-process server" if target.server is not None else "its answer policy or auth"
        raise UsageProblem(
            f"{what}: the connection cannot be sent to Dask workers ({part} does not pickle: {type(e).__name__}); "
            "serve it as a command or URL, or give on_elicit/on_sample that pickle"
        ) from None


def _active_client() -> Any:
    """The ``distributed.Client`` Dask would compute on, or None (Dask's local schedulers)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _register_plugins(client: Any, *, pace: bool) -> None:
    from ._dask_plugins import CloseLinks, Pacer

    client.register_plugin(CloseLinks())
    if pace:
        client.register_plugin(Pacer())
