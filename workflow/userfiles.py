"""Reading a file a user names (evidence, a report, an import): bounded, never blocking, never a traceback.

`/dev/zero` or a multi-gigabyte file would otherwise be read until memory runs out, and a FIFO
would block `open()` forever. Every reader of a user-named file goes through `read_bytes`,
`read_text` or `digest` here, each with a size limit, and fails with `InvalidInput` (exit 2)
naming the file and what to do.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from .errors import InvalidInput

__all__ = ["MAX_ATTACHMENT_BYTES", "MAX_IMPORT_BYTES", "MAX_PATH_CHARS", "check_output", "check_path", "digest",
           "read_bytes", "read_text"]

MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024
"""Evidence and reports: a scanned PDF of a few hundred pages fits; a disk image does not."""

MAX_IMPORT_BYTES = 16 * 1024 * 1024
"""A CSV or spreadsheet of records to import: a hundred thousand rows fit."""

MAX_PATH_CHARS = 4096
"""PATH_MAX on Linux: a longer path cannot name a file."""

_CHUNK = 1024 * 1024


def check_path(path: str | Path, what: str) -> Path:
    """A path given by a user, refused early when it cannot name a file (too long, a NUL byte).

    Raises:
        InvalidInput: the path is too long or holds characters no file name may hold.
    """
    text = str(path)
    if len(text) > MAX_PATH_CHARS or any(len(part) > 255 for part in text.split(os.sep)):
        raise InvalidInput(f"{what}的路径过长（{len(text)} 个字符；整个路径至多 {MAX_PATH_CHARS} 个，"
                           "每一级名称至多 255 个）；请检查路径")
    if "\x00" in text:
        raise InvalidInput(f"{what}的路径含有 NUL 字符；请检查路径")
    return Path(text)


def check_output(path: str | Path, what: str) -> Path:
    """A file about to be written: a new file or a regular one; never a FIFO (open would block), device or folder.

    Raises:
        InvalidInput: the path is too long, or names something that is not a regular file.
    """
    target = check_path(path, what)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise InvalidInput(f"无法写入{what} {target}：{_reason(exc)}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "目录" if stat.S_ISDIR(info.st_mode) else "管道、设备或套接字"
        raise InvalidInput(f"{what} {target} 是{kind}，不是普通文件；请换一个文件名")
    return target


def _open(path: Path, what: str) -> int:
    """Open for reading without blocking on a FIFO; refuse folders and sockets."""
    check_path(path, what)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise InvalidInput(f"{what} {path} 是目录，不是文件")
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISSOCK(info.st_mode):
            raise InvalidInput(f"{what} {path} 是管道或套接字，不是普通文件；请先保存为文件")
        return os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InvalidInput(f"无法读取{what} {path}：{_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return {errno.ENOENT: "文件不存在", errno.EACCES: "没有读取权限", errno.ENAMETOOLONG: "路径过长",
            errno.EISDIR: "是目录，不是文件"}.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def _too_big(path: Path, what: str, limit: int) -> InvalidInput:
    return InvalidInput(f"{what} {path} 超过 {_size(limit)} 的上限（设备文件或过大的文件不能读入）；"
                        "请压缩、拆分，或确认选对了文件")


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def read_bytes(path: str | Path, *, what: str, limit: int) -> bytes:
    """The whole file, at most `limit` bytes: one byte more is refused, whatever `stat` claims.

    Raises:
        InvalidInput: missing, unreadable, a folder or a FIFO, or larger than `limit`.
    """
    path = Path(path)
    fd = _open(path, what)
    chunks: list[bytes] = []
    total = 0
    try:
        with os.fdopen(fd, "rb", buffering=0) as handle:
            while chunk := handle.read(min(_CHUNK, limit + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:
                    raise _too_big(path, what, limit)
    except OSError as exc:
        raise InvalidInput(f"无法读取{what} {path}：{_reason(exc)}") from None
    return b"".join(chunks)


def read_text(path: str | Path, *, what: str, limit: int) -> str:
    """The file as UTF-8 text (a byte-order mark is dropped), at most `limit` bytes.

    Raises:
        InvalidInput: as `read_bytes`, or the file is not UTF-8 (with the line of the first bad byte).
    """
    data = read_bytes(path, what=what, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: {what}不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节无法解码）；"
                           "请在 Excel 或 WPS 中“另存为 CSV UTF-8”后重试") from None


def digest(path: str | Path, *, what: str, limit: int) -> tuple[int, str]:
    """(size, sha256 hex) of a file read in chunks, refused past `limit` bytes.

    Raises:
        InvalidInput: as `read_bytes`.
    """
    path = Path(path)
    fd = _open(path, what)
    hasher = hashlib.sha256()
    total = 0
    try:
        with os.fdopen(fd, "rb", buffering=0) as handle:
            while chunk := handle.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _too_big(path, what, limit)
                hasher.update(chunk)
    except OSError as exc:
        raise InvalidInput(f"无法读取{what} {path}：{_reason(exc)}") from None
    return total, hasher.hexdigest()
