"""Pure: the type names servers give their columns → the kinds ``schema_frames.apply_types`` casts.

Servers that send tables column by column often name each column's type: SQL databases in their
own dialect (``BIGINT``, ``DOUBLE PRECISION``, ``DECIMAL(18,2)``, ``TIMESTAMP WITH TIME ZONE``,
``VARCHAR(255)``), pandas' "table" orient (``integer``, ``number``, ``datetime``), Arrow and
numpy (``int64``, ``float32``, ``bool``, ``timestamp[us]``). Each name is reduced to one of the
kinds a JSON Schema also gives (``integer``, ``number``, ``boolean``, ``string``, ``datetime``);
an unknown name gives no kind and its column stays as the values came. DECIMAL and NUMERIC become
``float64`` (pandas has no decimal dtype of its own): exact to about 15 significant digits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["kind_of", "kinds_of"]

_KINDS: dict[str, str] = {}
for _kind, _names in {
    "integer": "bigint integer int int2 int4 int8 int16 int32 int64 smallint tinyint mediumint hugeint "
    "ubigint uinteger usmallint utinyint uhugeint uint8 uint16 uint32 uint64 long short serial bigserial "
    "smallserial byteint signed unsigned",
    "number": "double float real float4 float8 float16 float32 float64 decimal numeric number dec money "
    "smallmoney halffloat double_precision",
    "boolean": "boolean bool bit logical",
    "string": "varchar char character text string nvarchar nchar ntext clob bpchar name uuid citext enum "
    "character_varying varchar2 nvarchar2 str utf8 large_string large_utf8",
    "datetime": "date timestamp datetime datetime2 timestamptz timestamp_tz timestamp_ns timestamp_ms "
    "timestamp_s timestamp_us smalldatetime datetimeoffset date32 date64 datetime64",
}.items():
    for _name in _names.split():
        _KINDS[_name] = _kind

_WITH_ZONE = re.compile(r"\s+with(out)?\s+time\s+zone\b")
_ARGUMENTS = re.compile(r"[\(\[<].*$")  # VARCHAR(255), DECIMAL(18,2), timestamp[us], datetime64[ns, UTC]


def kind_of(type_name: str) -> str | None:
    """The kind of one type name (case and arguments ignored), or None when it is not known."""
    name = type_name.strip().lower()
    name = name.removeprefix("nullable(").removesuffix(")") if name.startswith("nullable(") else name
    name = _WITH_ZONE.sub("", name)
    name = _ARGUMENTS.sub("", name).strip()
    if name.endswith(" unsigned"):
        name = name.removesuffix(" unsigned").strip()
    name = name.replace(" ", "_")
    return _KINDS.get(name)


def kinds_of(types: Mapping[str, str]) -> dict[str, str]:
    """``{column: kind}`` for the columns whose type name is known."""
    out = {}
    for column, type_name in types.items():
        kind = kind_of(type_name)
        if kind is not None:
            out[column] = kind
    return out
