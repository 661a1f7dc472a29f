"""The catalogue of definitions: every procedure file of a folder, checked, by (id, version).

A case records the id, version and content hash of the definition it runs
under; the catalogue keeps every version found so old cases keep their rules: the working files
(`*.yaml`, one current version each) and the released versions in `archive/` (see `_load_archive`).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DefinitionError, DefinitionLookupError, DefinitionsInvalid, Problem
from ..logs import logger

if TYPE_CHECKING:
    from .loader import LoadedFile, Rule
    from .model import ProcessSpec

__all__ = ["ARCHIVE", "Catalog", "catalog_keys", "git_blob_id", "load_catalog", "version_key"]

def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """A definition version as a sortable key (`2022.10` after `2022.9`)."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"[.\-]", version))


@dataclass(kw_only=True, slots=True)
class Catalog:
    """Every definition found in a folder, plus the rule catalogue.

    Attributes:
        root: the folder.
        rules: rule id -> Rule.
        files: each parsed file, with its problems.
    """

    root: Path
    rules: dict[str, Rule] = field(default_factory=dict)
    files: list[LoadedFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _specs: dict[tuple[str, str], ProcessSpec] = field(default_factory=dict)
    archived: list[ProcessSpec] = field(default_factory=list)

    def specs(self) -> list[ProcessSpec]:
        """The newest version of each procedure, by id."""
        latest: dict[str, ProcessSpec] = {}
        for (pid, _version), spec in self._specs.items():
            if pid not in latest or version_key(spec.version) > version_key(latest[pid].version):
                latest[pid] = spec
        return [latest[k] for k in sorted(latest)]

    def get(self, definition_id: str, version: str | None = None) -> ProcessSpec:
        """A definition by id (newest version unless one is named).

        Raises:
            DefinitionLookupError: when no such definition (or version) exists.
        """
        if version is not None:
            try:
                return self._specs[(definition_id, version)]
            except KeyError:
                raise DefinitionLookupError(f"{definition_id} 版本 {version}") from None
        for spec in self.specs():
            if spec.id == definition_id:
                return spec
        raise DefinitionLookupError(definition_id)

    def versions(self) -> list[ProcessSpec]:
        """Every version of every procedure, the current ones and the archived, by id then version."""
        return sorted(self._specs.values(), key=lambda sp: (sp.id, version_key(sp.version)))

    def is_archived(self, spec: ProcessSpec) -> bool:
        return any(spec is a for a in self.archived)

    def file_of(self, spec: ProcessSpec) -> Path | None:
        for f in self.files:
            if f.spec is spec:
                return f.path
        return None

    def roles(self) -> dict[str, str]:
        """Every staff role any definition names -> its Chinese labels (one per procedure that differs)."""
        labels: dict[str, list[str]] = {}
        for spec in self.specs():
            for role, label in spec.roles.items():
                if label not in labels.setdefault(role, []):
                    labels[role].append(label)
        return {role: "／".join(names) for role, names in labels.items()}

    def raise_if_invalid(self) -> None:
        if self.problems:
            raise DefinitionsInvalid(self.problems)


_LOADED: dict[tuple[object, ...], Catalog] = {}


def load_catalog(root: Path) -> Catalog:
    """Parse and check every definition under `root`; problems are collected, not raised.

    The result is kept in memory by the files' content (the scheduler and in-process callers
    load it once); a changed file is read afresh. It is also kept on disk, in the definitions
    cache folder (`AWARD_CACHE_DIR`, else `~/.cache/award`), keyed by the same content plus the
    templates and the code that parses and checks it: a later process loads the checked catalogue
    from there without parsing or validating again (and without importing the checker, ruamel or
    Jinja2). A changed definition, template or `award` release misses the cache and is checked afresh.
    """
    key = _memory_key(root)
    cached = _LOADED.get(key)
    if cached is None:
        disk = _disk_key(key, root.parent if root.is_file() else root)
        cached = _from_disk(disk)
        if cached is None:
            cached = _load_catalog(root)
            for spec in cached.versions():  # kept in the file: a later process checks a case's definition
                spec.content_hash  # noqa: B018  without building the models' serializers (~50 ms)
            _to_disk(disk, cached)
        _LOADED[key] = cached
    return cached


def _memory_key(root: Path) -> tuple[object, ...]:
    """The folder and the content of every file the catalogue is read from."""
    folder = root.parent if root.is_file() else root
    files = [root, folder / "rules.yaml"] if root.is_file() else sorted(folder.glob("*.yaml")) if root.exists() else []
    files += sorted(folder.glob("scoring/*.yaml")) if folder.exists() else []  # the review's scoring tables
    files += sorted(folder.glob(f"{ARCHIVE}/*.yaml")) if folder.exists() and root.is_dir() else []
    return (str(root.resolve()), *((f.name, _fingerprint(f)) for f in files if f.is_file()))


def catalog_keys(root: Path) -> tuple[tuple[object, ...], str]:
    """The keys `load_catalog` keeps the catalogue of `root` under: in memory (the files' content) and on
    disk (also their templates and the code that checks them); other caches of it use the disk key too."""
    key = _memory_key(root)
    return key, _disk_key(key, root.parent if root.is_file() else root)


_DISK_FORMAT = b"award-catalog-cache-1"
_CODE = Path(__file__).resolve().parent.parent  # the `workflow` package: its parser, models and checks


def _tree_stamp(folder: Path, suffixes: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every file under `folder` with one of `suffixes`: a change to any is seen."""
    out = []
    for dirpath, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")  # bytecode follows the sources: not walked
        for name in sorted(names):
            if name.endswith(suffixes):
                info = os.stat(os.path.join(dirpath, name))
                out.append((os.path.join(dirpath, name), info.st_size, info.st_mtime_ns))
    return out


def _disk_key(key: tuple[object, ...], folder: Path) -> str:
    """The cache file's name: the definitions' content, their templates, and the code that checks them."""
    digest = hashlib.sha256(_DISK_FORMAT)
    digest.update(repr(key).encode())
    digest.update(repr(_tree_stamp(folder / "templates", ("",))).encode())
    digest.update(repr(_tree_stamp(_CODE, (".py",))).encode())
    return digest.hexdigest()


def _cache_file(disk_key: str) -> Path | None:
    from .locations import cache_dir

    folder = cache_dir()
    return None if folder is None else folder / f"catalog-{disk_key}.pickle"


def _from_disk(disk_key: str) -> Catalog | None:
    """The checked catalogue a previous process stored under this key, or None.

    The file is the user's own (made 0600 in their cache folder, by this code, from their definitions);
    one that cannot be read or is not a catalogue is ignored and replaced.
    """
    import pickle  # here: the read commands compute the key (catalog_keys) but load no pickle

    path = _cache_file(disk_key)
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            found = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError, IndexError):
        # a missing, truncated or stale file (models changed since) only costs a fresh load
        return None
    return found if isinstance(found, Catalog) else None


def _to_disk(disk_key: str, catalog: Catalog) -> None:
    import pickle

    path = _cache_file(disk_key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(catalog, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):  # a read-only home only costs time
        logger(__name__).debug("cannot write the catalogue cache %s", path)  # asked for here: a read imports
        # this module for `catalog_keys` and logs nothing


def _fingerprint(file: Path) -> object:
    """The content hash of a definition file; an oversize one (refused when loaded) by size and time only."""
    from .limits import MAX_YAML_BYTES

    info = file.stat()
    if info.st_size > MAX_YAML_BYTES:
        return (info.st_size, info.st_mtime_ns)
    return hashlib.sha256(file.read_bytes()).digest()


def _load_catalog(root: Path) -> Catalog:
    from .check import check_file
    from .loader import iter_definition_files, load_rules, parse_file

    if root.is_file():
        rules_path = root.parent / "rules.yaml"
    else:
        rules_path = root / "rules.yaml"
    catalog = Catalog(root=root)
    if not root.exists():
        catalog.problems.append(Problem(file=str(root), line=None, reason="流程定义目录不存在"))
        return catalog
    if rules_path.exists():
        catalog.rules, problems = load_rules(rules_path)
        catalog.problems += problems
    else:
        catalog.problems.append(Problem(file=str(rules_path), line=None, reason="缺少规则目录 rules.yaml"))
    for path in iter_definition_files(root):
        loaded = parse_file(path)
        catalog.files.append(loaded)
        catalog.problems += loaded.problems
        if loaded.spec is None:
            continue
        catalog.problems += check_file(loaded, catalog.rules)
        key = (loaded.spec.id, loaded.spec.version)
        if key in catalog._specs:
            catalog.problems.append(loaded.problem(
                f"流程定义 {key[0]} 版本 {key[1]} 在多个文件中出现", "version"))
        catalog._specs[key] = loaded.spec
    if (root / ARCHIVE).is_dir():
        _load_archive(catalog, root / ARCHIVE)
    return catalog


ARCHIVE = "archive"
"""The folder of released versions beside the working files; `released.yaml` in it pins each file."""
_MANIFEST = "released.yaml"


def git_blob_id(data: bytes) -> str:
    """What `git hash-object` prints for a file of these bytes (SHA-1 over git's blob header and content)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _load_archive(catalog: Catalog, folder: Path) -> None:
    """Add each released version in `folder`, as its release shipped it, to the catalogue.

    `released.yaml` names every file with its git blob id and the content hash its release stored in
    cases. A file whose bytes differ from its blob id, a file not named there and a named file that is
    missing are problems; a released file is not re-checked against authoring rules added after its
    release (it was checked then, and its cases need it as it was), but it must still parse.
    """
    from .loader import parse_file, read_yaml

    manifest_path = folder / _MANIFEST
    if not manifest_path.is_file() and not any(folder.glob("*.yaml")):
        return  # an empty archive: nothing released yet
    if not manifest_path.is_file():
        catalog.problems.append(Problem(file=str(manifest_path), line=None,
                                        reason="已发布版本目录缺少 released.yaml（每个归档文件的 blob 与内容哈希）"))
        return
    try:
        manifest, lines = read_yaml(manifest_path)
    except DefinitionError as exc:
        catalog.problems.append(exc.problem)
        return
    if not isinstance(manifest, dict):
        catalog.problems.append(Problem(file=str(manifest_path), line=1, reason="released.yaml 的顶层必须是 文件名: {...}"))
        return
    present = {p.name for p in folder.glob("*.yaml") if p.name != _MANIFEST}
    for name in sorted(present - set(manifest)):
        catalog.problems.append(Problem(file=str(folder / name), line=None,
                                        reason=f"归档文件 {name} 未登记在 released.yaml 中（写明其 release、blob 与 content_hash）"))
    for name, entry in manifest.items():
        line = lines.get((name,))
        path = folder / str(name)
        if not isinstance(entry, dict) or not {"blob", "content_hash"} <= set(entry):
            catalog.problems.append(Problem(file=str(manifest_path), line=line,
                                            reason=f"{name}：须写明 blob 与 content_hash"))
            continue
        if not path.is_file():
            catalog.problems.append(Problem(file=str(manifest_path), line=line, reason=(
                f"已发布的流程定义 {name} 不在 {folder} 中：按此版本办理的案件将无法继续；"
                f"请从 git 恢复（git show {entry.get('commit', 'COMMIT')}:definitions/…）")))
            continue
        if git_blob_id(path.read_bytes()) != str(entry["blob"]):
            catalog.problems.append(Problem(file=str(path), line=None, reason=(
                f"已发布的流程定义被改动（git blob 应为 {entry['blob']}）：已发布的版本不能修改，"
                "请从 git 恢复原文件；要改规则，请改当前版本并用 award case migrate 迁移案件")))
            continue
        loaded = parse_file(path)
        catalog.files.append(loaded)
        catalog.problems += loaded.problems
        if loaded.spec is None:
            continue
        loaded.spec.pin_released_hash(str(entry["content_hash"]))
        key = (loaded.spec.id, loaded.spec.version)
        if key in catalog._specs:
            catalog.problems.append(loaded.problem(
                f"流程定义 {key[0]} 版本 {key[1]} 既是当前版本又已归档：发布后请先提高当前文件的 version", "version"))
            continue
        catalog._specs[key] = loaded.spec
        catalog.archived.append(loaded.spec)
