"""Reading source files as Python reads them, and writing them back byte for byte alike.

Decoding follows PEP 263 through the standard library (`tokenize.detect_encoding`): a BOM or an
encoding cookie decides, UTF-8 otherwise. Newlines are kept as they are (no universal-newline
translation), so CRLF and mixed endings survive a fix untouched.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """The file cannot be read or decoded; the message says why in plain words."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class Source:
    text: str
    encoding: str  # as tokenize names it; "utf-8-sig" means the file starts with a BOM
    data: bytes  # what was read, to refuse writing over a file that changed meanwhile


def decode(data: bytes) -> tuple[str, str]:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):
            raise SourceError(f"cannot decode: {exc}") from None  # unknown codec, BOM vs cookie
        encoding = "utf-8"  # undecodable first lines: let the decode below say where
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = " (declare the encoding with a PEP 263 coding comment)" if encoding == "utf-8" else ""
        raise SourceError(
            f"cannot decode: byte {data[exc.start]:#04x} is not valid {encoding}{hint}", line, column
        ) from None
    except LookupError as exc:
        raise SourceError(f"cannot decode: {exc}") from None


class TooLarge(SourceError):
    """The file is larger than `max-file-size`; it was not read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"not checked: the file is {size / 1e6:.1f} MB, over max-file-size ({limit / 1e6:g} MB); "
            "raise the limit or exclude the file"
        )


def read_bytes(path: str, max_bytes: int | None = None) -> bytes:
    """A file's bytes; `max_bytes` refuses larger files before reading them (`TooLarge`)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # opening a FIFO blocks; a device may never end
            raise SourceError("cannot read: not a regular file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise TooLarge(info.st_size, max_bytes)
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None


def read_source(path: str, max_bytes: int | None = None) -> Source:
    """Read and decode a file; `max_bytes` refuses larger files before reading them."""
    data = read_bytes(path, max_bytes)
    text, encoding = decode(data)
    return Source(text, encoding, data)


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


def write_atomically(path: str, source: Source, new_text: str, *, within: str | os.PathLike | None = None) -> None:
    """Replace the file's content, keeping its permissions, owner and links.

    A symbolic link is written through: the file it points to is fixed and the link stays a
    link; `within` (the project root) refuses a link that leads out of the project, so a
    repository cannot make a fix write elsewhere. A plain file is replaced in one rename; one
    with several hard links, or whose owner the rename could not keep, is rewritten in place so
    every link still names it. Refuses (SourceError) when the file changed on disk since it was
    read, so a fix never overwrites an edit made meanwhile.
    """
    data = encode(new_text, source.encoding)
    try:
        target = os.path.realpath(path)
        if within is not None and target != os.path.abspath(path):
            top = os.path.realpath(within)
            if os.path.commonpath([top, target]) != top:
                raise SourceError(f"not fixed: the file is a symbolic link to {target}, outside the project")
        with open(target, "rb") as handle:
            if handle.read() != source.data:
                raise SourceError("not fixed: the file changed on disk while it was being checked")
        info = os.stat(target)
        if not info.st_mode & stat.S_IWUSR:  # a rename would succeed anyway; respect the owner's intent
            raise SourceError("not fixed: the file is read-only")
        if info.st_nlink > 1 or not _replace(target, data, info):
            _rewrite(target, data)
    except OSError as exc:
        raise SourceError(f"cannot write the fix: {exc.strerror or exc}") from None


def _replace(target: str, data: bytes, info: os.stat_result) -> bool:
    """Write `data` to a new file beside `target` and rename it over; False when the new file
    could not be given the old one's owner (nothing is changed then)."""
    fd, temp = tempfile.mkstemp(prefix=".asynclint-", suffix=".tmp", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, info.st_mode & 0o7777)
        mine = os.stat(temp)
        if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
            try:
                os.chown(temp, info.st_uid, info.st_gid)
            except OSError:
                os.unlink(temp)
                return False
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return True


def _rewrite(target: str, data: bytes) -> None:
    """Rewrite the file in place (its inode, owner and links stay)."""
    with open(target, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
