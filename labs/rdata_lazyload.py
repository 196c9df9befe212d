"""Reading the datasets of an installed R package without R.

An R package keeps its data as a *lazy-load database*: ``Rdata.rdx`` (an index: object name →
offset and length) and ``Rdata.rdb`` (the objects, each serialised and compressed). Each record in
the ``.rdb`` is a 4-byte big-endian length, then either a zlib stream, or a type byte
(``Z`` raw LZMA2, ``2`` bzip2, ``0`` stored) and the data. The serialised objects are read with
PyPI's ``rdata``, which converts data frames to pandas and character vectors to NumPy arrays.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import warnings
import zlib
from pathlib import Path


class RDataError(RuntimeError):
    """A lazy-load database that cannot be read."""


def _decompress_record(record: bytes) -> bytes:
    if len(record) < 5:
        raise RDataError("truncated record")
    kind, payload = record[4:5], record[5:]
    if kind == b"Z":
        return lzma.decompress(payload, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 26}])
    if kind == b"2":
        return bz2.decompress(payload)
    if kind == b"0":
        return payload
    return zlib.decompress(record[4:])


def _unserialise(blob: bytes):
    import rdata  # imported here: only the text labs need it

    with warnings.catch_warnings():
        # rdata warns about R classes it maps to a parent (tibble -> data.frame) and about the missing file header.
        warnings.simplefilter("ignore")
        return rdata.conversion.convert(rdata.parser.parse_data(blob))


def read_index(rdx: Path) -> dict[str, tuple[int, int]]:
    """Object name → (offset, length) in the ``.rdb``, from a ``.rdx`` index (gzip- or zlib-compressed)."""
    raw = rdx.read_bytes()
    try:
        body = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else zlib.decompress(raw[4:])
    except (OSError, zlib.error, EOFError) as error:
        raise RDataError(f"{rdx}: not a lazy-load index ({error})") from error
    try:
        index = _unserialise(body)
    except Exception as error:  # rdata raises NotImplementedError, ValueError, ... on what it cannot parse
        raise RDataError(f"{rdx}: not a serialised R object ({type(error).__name__}: {error})") from error
    try:
        return {str(name): (int(where[0]), int(where[1])) for name, where in index["variables"].items()}
    except (KeyError, TypeError, IndexError) as error:
        raise RDataError(f"{rdx}: the index has no 'variables' table") from error


def read_object(rdx: Path, rdb: Path, name: str):
    """One object (a data frame, a character vector, ...) of an R package's lazy-load database."""
    index = read_index(rdx)
    if name not in index:
        raise RDataError(f"{rdx}: no object {name!r}; it has {', '.join(sorted(index))}")
    offset, length = index[name]
    with open(rdb, "rb") as handle:
        handle.seek(offset)
        record = handle.read(length)
    if len(record) != length:
        raise RDataError(f"{rdb}: object {name!r} is truncated")
    try:
        return _unserialise(_decompress_record(record))
    except Exception as error:  # a decompressor's or rdata's error
        raise RDataError(f"{rdb}: cannot read object {name!r}: {error}") from error
