"""Files given to a case (objection evidence, yearly reports, attached documents), kept content-addressed.

A file is stored once under the office data folder's `files/` as `ab/abcdef...` (its SHA-256), written
to a temporary name and renamed, so a half-written file is never taken for a stored one. The case's
history event carries the same hash (the hash chain seals it), and a `case_files` row names the file
for `award case files` / `award case file`. `verify_files` re-hashes every stored file: a changed or
missing file is reported like a broken history (exit 7).

A file is written before the transaction that records it commits; if that transaction fails, the
stored file stays unreferenced, which is harmless (the same content is stored under the same name
next time).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from .errors import InvalidInput, RecordLookupError, TamperedHistory
from .store import CaseRow, FileRow, utc
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["MAX_FILE_BYTES", "FileStore", "StoredFile", "advance_with_files", "attach", "fetch", "list_files", "record",
           "verify_files"]

MAX_FILE_BYTES = 512 * 1024 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredFile:
    """A file as kept: its name as given, its size and SHA-256."""

    name: str
    bytes: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"file": self.name, "bytes": self.bytes, "sha256": self.sha256}


@dataclass(frozen=True)
class FileStore:
    """The content-addressed folder (`settings.home().path("files")`)."""

    root: Path

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, source: Path) -> StoredFile:
        """Copy a file in (once per content); its name, size and hash.

        Raises:
            InvalidInput: not a readable regular file, or larger than `MAX_FILE_BYTES`.
        """
        import stat

        try:
            st = source.stat()
        except OSError as exc:
            raise InvalidInput(f"无法读取 {source}：{exc.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInput(f"{source} 不是普通文件")
        if st.st_size > MAX_FILE_BYTES:
            raise InvalidInput(f"{source.name} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MiB 的上限")
        tmp: str | None = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            size = 0
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        raise InvalidInput(f"{source.name} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MiB 的上限")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest_hex = digest.hexdigest()
            target = self.path_of(digest_hex)
            target.parent.mkdir(exist_ok=True)
            if not (target.is_file() and _hash(target) == digest_hex):
                os.replace(tmp, target)
                os.chmod(target, 0o440)
        except OSError as exc:
            raise InvalidInput(f"无法保存 {source.name} 到 {self.root}：{exc.strerror}") from None
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
        return StoredFile(name=source.name, bytes=size, sha256=digest_hex)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_all(engine: Engine, paths: Sequence[Path]) -> list[StoredFile]:
    """Store files before the transaction that records them (or only hash them when no store is set up)."""
    store: FileStore | None = engine.files
    if store is not None:
        return [store.put(p) for p in paths]
    from .userfiles import digest

    out = []
    for p in paths:
        size, hashed = digest(p, what="文件", limit=MAX_FILE_BYTES)  # bounded: /dev/zero is refused, not read
        out.append(StoredFile(name=p.name, bytes=size, sha256=hashed))
    return out


def record(s: Session, row: CaseRow, files: Sequence[StoredFile], *, purpose: str, seq: int | None, actor: Actor,
           now: Any) -> None:
    """The `case_files` rows of files given in one step (same transaction as its history event)."""
    assert row.id is not None
    for f in files:
        exists = s.exec(select(FileRow).where(FileRow.case_id == row.id, FileRow.name == f.name,
                                              FileRow.sha256 == f.sha256)).first()
        if exists is None:
            s.add(FileRow(case_id=row.id, name=f.name, sha256=f.sha256, bytes=f.bytes, purpose=purpose,
                          event_seq=seq, added_by=actor.name, added_at=now))


def attach(engine: Engine, ref: str, paths: Sequence[Path], *, actor: Actor, comment: str | None) -> list[StoredFile]:
    """Attach documents to a case (a survey report, an approval, a scan): kept, and noted in its history."""
    if not paths:
        raise InvalidInput("请给出要附加的文件")
    files = store_all(engine, paths)
    with engine.transaction(ref) as s:
        row = engine.case_row(s, ref)
        event = engine.record_event(s, row, kind="file_attached", actor=actor, comment=comment,
                             data={"files": [f.as_json() for f in files]})
        record(s, row, files, purpose="attachment", seq=event.seq, actor=actor, now=engine.clock())
    return files


def advance_with_files(engine: Engine, ref: str, trigger: str, paths: Sequence[Path], *, actor: Actor,
                       sets: Sequence[str] = (), comment: str | None = None, override: str | None = None) -> Any:
    """Fire a trigger and keep the files given with it (a survey report, an approval), in ONE transaction:
    the step's history event carries their hashes, or nothing is recorded at all."""
    files = store_all(engine, paths)
    with engine.transaction(ref) as s:
        result = engine.advance_in(s, ref, trigger, actor=actor, sets=sets, comment=comment, override=override,
                                   extra={"files": [f.as_json() for f in files]})
        record(s, engine.case_row(s, ref), files, purpose="attachment", seq=result.seq, actor=actor,
               now=engine.clock())
    return result


_PURPOSES = {"attachment": "附件", "evidence": "异议证明材料", "report": "报告", "entry": "记录事项及答复的文件（如征求意见函、复函）"}


def list_files(engine: Engine, ref: str) -> list[dict[str, Any]]:
    """The files kept for a case, oldest first."""
    with engine.db.session() as s:
        row = engine.case_row(s, ref)
        files = s.exec(select(FileRow).where(FileRow.case_id == row.id).order_by(col(FileRow.id))).all()
        store: FileStore | None = engine.files
        return [{"id": f.id, "name": f.name, "bytes": f.bytes, "sha256": f.sha256, "purpose": f.purpose,
                 "purpose_label": _PURPOSES.get(f.purpose, f.purpose), "event_seq": f.event_seq,
                 "added_by": f.added_by, "added_at": utc(f.added_at).isoformat(),
                 "stored": store is not None and store.path_of(f.sha256).is_file()} for f in files]


def fetch(engine: Engine, ref: str, name: str, target: Path) -> dict[str, Any]:
    """Copy a kept file out, checked against its hash; NAME is the file name or its # in `case files`.

    Raises:
        RecordLookupError: the case has no such file.
        InvalidInput: several files share the name (use the #).
        TamperedHistory: the stored copy is missing or no longer matches its hash.
    """
    files = list_files(engine, ref)
    chosen = [f for f in files if f["name"] == name or str(f["id"]) == name.lstrip("#")]
    if not chosen:
        raise RecordLookupError(f"{ref} 的文件 {name}（用 award case files {ref} 列出）")
    if len(chosen) > 1:
        listed = "、".join(f"#{f['id']}（{f['added_at'][:10]}，{f['sha256'][:12]}）" for f in chosen)
        raise InvalidInput(f"{ref} 有 {len(chosen)} 个名为 {name} 的文件：{listed}；请用 # 编号指定")
    f = chosen[0]
    store: FileStore | None = engine.files
    source = store.path_of(f["sha256"]) if store is not None else None
    if source is None or not source.is_file():
        raise TamperedHistory(f"{ref} 的文件 {f['name']} 的存档不见了（{f['sha256'][:12]}）")
    if _hash(source) != f["sha256"]:
        raise TamperedHistory(f"{ref} 的文件 {f['name']} 的存档与历史中记录的摘要不符，可能被改动")
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise InvalidInput(f"无法写入 {target}：{exc.strerror}") from None
    return f


def verify_files(engine: Engine, ref: str | None = None) -> int:
    """Re-hash every kept file of one case or all; the number checked.

    Raises:
        TamperedHistory: listing each missing or changed file.
    """
    store: FileStore | None = engine.files
    with engine.db.session() as s:
        q = select(FileRow, CaseRow).join(CaseRow, col(FileRow.case_id) == col(CaseRow.id))
        if ref:
            q = q.where(CaseRow.id == engine.case_row(s, ref).id)
        rows = s.exec(q.order_by(col(FileRow.id))).all()
    broken = []
    for f, case in rows:
        path = store.path_of(f.sha256) if store is not None else None
        if path is None or not path.is_file():
            broken.append(f"  {case.ref} 文件 {f.name}：存档不见了")
        elif _hash(path) != f.sha256:
            broken.append(f"  {case.ref} 文件 {f.name}：存档与记录的摘要不符")
    if broken:
        raise TamperedHistory("案件文件的存档有问题：\n" + "\n".join(broken))
    return len(rows)
