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
from dataclasses import dataclass
from itertools import islice
from typing import Any

import yaml

from evaluator.bundle.archive import DATA_SUFFIXES
from evaluator.bundle.model import APPENDIX_FILES, README_FILE
from evaluator.bundle.rows import Rows
from evaluator.definitions.problems import DefinitionError
from evaluator.tables import Table, decode, parse_csv


def data_hash(files: Mapping[str, bytes], tables: Mapping[str, Table] | None = None,
              parsed: Mapping[str, Any] | None = None) -> str:
    """``sha256:<hex>`` over the canonical content of the data files (not README.txt).

    Canonical: CSV as decoded header + cells (encoding, BOM and line endings do not count) and
    YAML as its parsed value, serialised as sorted, compact JSON. Unparseable files count by bytes.
    ``tables``: CSV files already parsed from these bytes (``parse_table``), not parsed again;
    ``parsed``: YAML files' values already parsed from them (``parsing.parse_yaml``, no problem).
    """
    tables = tables or {}
    parsed = parsed or {}
    digest = ContentDigest()
    for name in sorted(files):
        if hashed(name):
            digest.add(name, read_entry(name, files[name], tables.get(name), parsed))
    return digest.hexdigest()


def read_entry(name: str, raw: bytes, table: Table | None, parsed: Mapping[str, Any]) -> dict[str, Any]:
    """A data file's part of ``data_hash`` from its bytes, and its table or parsed YAML value
    when already read from them."""
    if name in parsed:
        return yaml_entry(parsed[name])
    if table is None:
        return file_entry(name, raw)
    body = plain_body(raw, table)
    return {"header": list(table.header), "rows": table_cells(table) if body is None else body}


def table_cells(table: Table) -> Iterable[Iterable[str]]:
    """Each row's cells in header order, without copying the table when it need not be."""
    rows = table.rows
    if isinstance(rows, Rows) and rows.names == tuple(table.header):
        return zip(*(rows.column(h) for h in table.header), strict=True) if table.header else ()
    width = len(table.header)  # a parsed dict row is in header order: its values are the cells
    return (r.values() if type(r) is dict and len(r) == width else [r[h] for h in table.header]
            for r in rows)


@dataclass(frozen=True)
class PlainBody:
    """The rows of a plain CSV file: ``raw[start:stop]``, lines ending in ``newline`` (the
    header and the last line break left out). Their JSON is these bytes with every comma
    made ``","`` and every line break ``"],["`` (``plain_body``)."""

    raw: bytes
    start: int
    stop: int
    newline: bytes


#: Bytes that would make a CSV file's text differ from its cells' JSON: quotes (the csv
#: module's or JSON's), backslashes and control characters but the line breaks (which JSON
#: escapes), and the apostrophe evaluator.sheets may have put before a formula.
_NOT_PLAIN = bytes([*range(0x00, 0x0a), 0x0b, 0x0c, *range(0x0e, 0x20), *b"\"\\'"])
#: Every other byte: ``raw.translate(None, _PLAIN)`` leaves the bytes that are not plain.
_PLAIN = bytes(b for b in range(256) if b not in _NOT_PLAIN)
_SEPARATORS = b",\n\r"
#: The plain bytes but commas and line breaks: ``raw.translate(None, _PLAIN_TEXT)`` leaves those
#: (to count) and the bytes that are not plain (to refuse), in one pass over the file.
_PLAIN_TEXT = bytes(b for b in _PLAIN if b not in _SEPARATORS)
_UTF8_BOM = b"\xef\xbb\xbf"


def plain_body(raw: bytes, table: Table) -> PlainBody | None:
    """``raw``'s rows when its bytes are exactly the cells of ``table`` (parsed from them), so
    that the rows' JSON is the bytes with each comma made ``","`` and each line break
    ``"],["``: UTF-8, nothing quoted or escaped, line ends all LF or all CRLF, a header read as
    it is written, and every line a row of the header's width (no blank rows, which the reader
    skips, no short rows, which it pads). None otherwise: the cells are then encoded one by
    one. tests/unit/test_bundle_cells.py holds the two ways to the same bytes."""
    if table.encoding not in ("utf-8", "utf-8-sig"):
        return None
    marks = raw.translate(None, _PLAIN_TEXT)  # its commas and line breaks, and what is not plain
    if marks.translate(None, _SEPARATORS):
        return None
    start = 3 if raw.startswith(_UTF8_BOM) else 0
    breaks, returns = marks.count(b"\n"), marks.count(b"\r")
    if returns and (returns != breaks or raw.count(b"\r\n") != breaks):
        return None  # bare CRs, or LF and CRLF mixed: rare enough to take the long way
    newline = b"\r\n" if returns else b"\n"
    end = raw.find(newline, start)
    if end < 0:
        end = len(raw)
    if raw[start:end].decode("utf-8").split(",") != list(table.header):
        return None
    stop = len(raw) - len(newline) if raw.endswith(newline) else len(raw)
    body_start = min(end + len(newline), stop)
    lines = breaks - (1 if end < len(raw) else 0) - (1 if stop < len(raw) else 0) + 1
    if body_start >= stop:
        lines = 0
    # No line skipped as blank, and (no row being longer than the header, or the table would
    # not have been read) as many commas as full rows hold: every row is full.
    commas = marks.count(b",") - raw.count(b",", 0, body_start)  # none after ``stop``
    if lines != len(table.rows) or commas != (len(table.header) - 1) * lines:
        return None
    return PlainBody(raw, body_start, stop, newline)


def hashed(name: str) -> bool:
    """Does the file ``name`` count in the data hash? (Data files do; README.txt and the
    report appendices, which nothing is scored from, do not.)"""
    return name != README_FILE and name not in APPENDIX_FILES and name.endswith(DATA_SUFFIXES)


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
    digest = ContentDigest()
    for name in sorted(content):
        digest.add(name, content[name])
    return digest.hexdigest()


class ContentDigest:
    """``content_hash`` taken a file at a time, the files added in sorted order of their names:
    a file's entry (and the bytes it rests on) need not be held once it is added."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256(b"{")
        self._last: str | None = None

    def add(self, name: str, entry: Mapping[str, Any]) -> None:
        if self._last is not None and name <= self._last:
            raise ValueError(f"{name!r} added after {self._last!r}: files are added in sorted order")
        self._digest.update((("," if self._last is not None else "") + _json(name) + ":").encode("utf-8"))
        self._last = name
        parts = _table_json(entry) if set(entry) == {"header", "rows"} else (_json(entry),)
        for part in parts:
            self._digest.update(part if isinstance(part, bytes) else part.encode("utf-8"))

    def hexdigest(self) -> str:
        """``sha256:<hex>`` of the files added (the object is not changed: more may follow)."""
        digest = self._digest.copy()
        digest.update(b"}")
        return "sha256:" + digest.hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


#: What ``json.dumps(..., ensure_ascii=False)`` escapes in a string, but '"': any other text is
#: written as it is, between quotes.
_ESCAPED = re.compile(r"[\x00-\x1f\\]")
_CHUNK = 4096


def _table_json(entry: Mapping[str, Any]) -> Iterator[str | bytes]:
    """``_json(entry)`` of a ``table_entry``, in pieces: the rows a chunk at a time, a chunk of
    plain strings (nothing JSON escapes: the usual export) joined directly instead of through
    the encoder, or a plain file's bytes rewritten (tests/unit/test_bundle_cells.py holds them
    to the same bytes)."""
    yield '{"header":' + _json(entry["header"]) + ',"rows":['
    if isinstance(entry["rows"], PlainBody):
        yield from _plain_json(entry["rows"])
        yield "]}"
        return
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


#: Bytes of a plain file rewritten at a time (a piece ends at a line break).
_PIECE = 1 << 20


def _plain_json(body: PlainBody) -> Iterator[bytes]:
    """The JSON of a plain file's rows (``plain_body``), a piece at a time."""
    raw, start, newline = body.raw, body.start, body.newline
    if start >= body.stop:
        return
    yield b'["'
    while True:
        end = raw.find(newline, min(start + _PIECE, body.stop), body.stop)
        piece = raw[start:body.stop if end < 0 else end]
        yield piece.replace(b",", b'","').replace(newline, b'"],["')
        if end < 0:
            break
        yield b'"],["'
        start = end + len(newline)
    yield b'"]'


def roster_hash(pairs: Iterable[tuple[str, str]]) -> str:
    """``sha256:<hex>`` of the sampling frame as the draw sees it: sorted (household_id, stratum).

    evaluator.sampling's draw depends only on this set, so re-sorting the roster in Excel or
    editing other columns keeps the hash; adding, removing or re-stratifying a household changes it.
    """
    pairs = list(pairs)
    return roster_hash_columns([hid for hid, _ in pairs], [stratum for _, stratum in pairs])


def roster_hash_columns(household_ids: Iterable[str], strata: Iterable[str]) -> str:
    """``roster_hash`` of the pairs ``zip(household_ids, strata)``, from the two columns (the
    lines made without a Python step per household)."""
    lines = sorted(map("{}\t{}\n".format, household_ids, strata))
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
