"""The bundle's fingerprints: ``data_hash`` over its data files and ``roster_hash`` over the
sampling frame.

Scores and reports are stamped with the data hash, and the web app computes the same hash
from database rows (``content_hash`` of ``table_entry`` and ``yaml_entry``) without writing
files; so its one definition lives here, apart from reading.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

import yaml

from evaluator.bundle.archive import DATA_SUFFIXES
from evaluator.bundle.model import README_FILE
from evaluator.bundle.rows import Rows
from evaluator.definitions.problems import DefinitionError
from evaluator.tables import Table, decode, parse_csv


def data_hash(files: Mapping[str, bytes], tables: Mapping[str, Table] | None = None) -> str:
    """``sha256:<hex>`` over the canonical content of the data files (not README.txt).

    Canonical: CSV as decoded header + cells (encoding, BOM and line endings do not count) and
    YAML as its parsed value, serialised as sorted, compact JSON. Unparseable files count by bytes.
    ``tables``: CSV files already parsed from these bytes (``parse_table``), not parsed again.
    """
    tables = tables or {}

    def entry(name: str, raw: bytes) -> dict[str, Any]:
        table = tables.get(name)
        if table is None:
            return file_entry(name, raw)
        return {"header": list(table.header), "rows": table_cells(table)}

    return content_hash({name: entry(name, raw) for name, raw in files.items() if hashed(name)})


def table_cells(table: Table) -> Iterable[Iterable[str]]:
    """Each row's cells in header order, without copying the table when it need not be."""
    rows = table.rows
    if isinstance(rows, Rows) and rows.names == tuple(table.header):
        return zip(*(rows.column(h) for h in table.header), strict=True) if table.header else ()
    width = len(table.header)  # a parsed dict row is in header order: its values are the cells
    return (r.values() if type(r) is dict and len(r) == width else [r[h] for h in table.header]
            for r in rows)


def hashed(name: str) -> bool:
    """Does the file ``name`` count in the data hash? (Data files do; README.txt does not.)"""
    return name != README_FILE and name.endswith(DATA_SUFFIXES)


def file_entry(name: str, raw: bytes) -> dict[str, Any]:
    """A data file's part of the data hash (``table_entry``, ``yaml_entry``, or its bytes'
    sha256 when it does not parse)."""
    try:
        if name.endswith(".csv"):
            text, _ = decode(raw, name)
            table = parse_csv(text, name)
            return table_entry(table.header, ([r[h] for h in table.header] for r in table.rows))
        return yaml_entry(yaml.safe_load(raw.decode("utf-8-sig")))
    except (DefinitionError, yaml.YAMLError, UnicodeDecodeError):
        return {"sha256": hashlib.sha256(raw).hexdigest()}


def table_entry(header: Iterable[str], rows: Iterable[Sequence[str]]) -> dict[str, Any]:
    """A CSV file's part of the data hash: its header and the cells of its (non-blank) rows,
    as ``parse_csv`` reads them."""
    return {"header": list(header), "rows": list(rows)}


def yaml_entry(value: Any) -> dict[str, Any]:
    """A YAML file's part of the data hash: its parsed value."""
    return {"yaml": value}


def content_hash(content: Mapping[str, Mapping[str, Any]]) -> str:
    """``sha256:<hex>`` of ``{file name: entry}`` (``table_entry``, ``yaml_entry``) as sorted,
    compact JSON: the one definition of the data hash, whether the content was read from files
    (``data_hash``) or built from rows (the web app's scoring service).

    Hashed file by file, so the JSON of a large bundle is never held whole; the bytes hashed
    are exactly those of ``json.dumps(content, sort_keys=True, separators=(",", ":"))``."""
    digest = hashlib.sha256()
    digest.update(b"{")
    for i, name in enumerate(sorted(content)):
        digest.update((("," if i else "") + _json(name) + ":").encode("utf-8"))
        entry = content[name]
        parts = _table_json(entry) if set(entry) == {"header", "rows"} else (_json(entry),)
        for part in parts:
            digest.update(part.encode("utf-8"))
    digest.update(b"}")
    return "sha256:" + digest.hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


#: What ``json.dumps(..., ensure_ascii=False)`` escapes in a string, but '"': any other text is
#: written as it is, between quotes.
_ESCAPED = re.compile(r"[\x00-\x1f\\]")
_CHUNK = 4096


def _table_json(entry: Mapping[str, Any]) -> Iterator[str]:
    """``_json(entry)`` of a ``table_entry``, in pieces: the rows a chunk at a time, a chunk of
    plain strings (nothing JSON escapes: the usual export) joined directly instead of through
    the encoder (tests/unit/test_bundle_cells.py holds the two to the same bytes)."""
    yield '{"header":' + _json(entry["header"]) + ',"rows":['
    rows = iter(entry["rows"])
    first = True
    while chunk := list(islice(rows, _CHUNK)):
        try:
            text = '["' + '"],["'.join(['","'.join(row) for row in chunk]) + '"]'
            # Plain: each cell added exactly its two quotes, and nothing else needs escaping.
            plain = all(chunk) and text.count('"') == 2 * sum(map(len, chunk)) and not _ESCAPED.search(text)
        except TypeError:  # a cell that is not a string
            plain = False
        if not plain:
            text = _json([list(row) for row in chunk])[1:-1]
        yield text if first else "," + text
        first = False
    yield "]}"


def roster_hash(pairs: Iterable[tuple[str, str]]) -> str:
    """``sha256:<hex>`` of the sampling frame as the draw sees it: sorted (household_id, stratum).

    evaluator.sampling's draw depends only on this set, so re-sorting the roster in Excel or
    editing other columns keeps the hash; adding, removing or re-stratifying a household changes it.
    """
    lines = sorted(f"{hid}\t{stratum}\n" for hid, stratum in pairs)
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
