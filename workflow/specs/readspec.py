"""What `award show` and `award history` read of the definitions, as plain data cached beside the catalogue.

The checked catalogue is cached as a pickle of the pydantic models (`catalog.py`); loading it imports
pydantic and builds every model class, which cost a read command ~100 ms while it needs only labels:
titles, state, track, trigger and field labels, fields' display types and choices, roles, and the
entries, checklists and retention it shows. `load_read_catalog` keeps those in a JSON file beside the
pickle, under the same content key (the definitions' bytes, their templates and this code), and reads
it back into the small classes below, which the views' functions (`readviews.py`) and the labels
(`labels.py`) read as they read a `ProcessSpec`: same attribute names, same methods. They also keep what
lists an open case's triggers (`readviews.trigger_views`): each trigger's destination, roles and rule, its
guards' `when` conditions, the fields it requires and the issuer whose grants hold, so that a case none of
whose triggers' guards applies is shown without the models. A miss loads the
full catalogue once (checked, or from its pickle) and writes the file; a catalogue with problems is
kept as such, so the caller takes the engine's path, which reports them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ..errors import DefinitionLookupError

if TYPE_CHECKING:
    from .catalog import Catalog
    from .model import ProcessSpec

    SpecLabels: TypeAlias = "ProcessSpec | ReadSpec"
    """Either form of a definition, for code that reads only what both have."""

__all__ = ["ReadCatalog", "ReadSpec", "load_read_catalog"]

_FORMAT = "award-read-catalog-2"

Condition = dict[str, Any]


class Labelled:
    """A track, a way to start, an entry's addressee or answer: what it is called."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label


class FieldLabels:
    """A form field as it is shown: label, type, for a choice the labels of its values, and the triggers that
    need it filled."""

    __slots__ = ("choices", "label", "required_for", "type")

    def __init__(self, label: str, type: str, choices: dict[str, str] | None, required_for: tuple[str, ...]) -> None:
        self.label, self.type, self.choices, self.required_for = label, type, choices, required_for


class TimerLabels:
    """A timer of a state, as `labels.timer_label` names it."""

    __slots__ = ("duty", "label", "mark", "trigger")

    def __init__(self, trigger: str | None, duty: str | None, mark: str | None, label: str | None) -> None:
        self.trigger, self.duty, self.mark, self.label = trigger, duty, mark, label


class StateLabels:
    __slots__ = ("final", "label", "name", "timers")

    def __init__(self, name: str, label: str, final: bool, timers: tuple[TimerLabels, ...]) -> None:
        self.name, self.label, self.final, self.timers = name, label, final, timers


class Identified:
    """An issuer: its id (what grants name) and its name."""

    __slots__ = ("id", "label")

    def __init__(self, id: str, label: str) -> None:
        self.id, self.label = id, label


class GuardConditions:
    """A guard call of a trigger, as far as whether it applies to a case (`facts.applies`): its `when`."""

    __slots__ = ("when",)

    def __init__(self, when: Condition | None) -> None:
        self.when = when


class TransitionLabels:
    __slots__ = ("dest", "guards", "label", "roles", "rule", "source", "trigger")

    def __init__(self, trigger: str, label: str, source: tuple[str, ...], dest: str, roles: list[str],
                 rule: str | None, guards: tuple[GuardConditions, ...]) -> None:
        self.trigger, self.label, self.source, self.dest = trigger, label, source, dest
        self.roles, self.rule, self.guards = roles, rule, guards


class RetentionLabels:
    __slots__ = ("label", "rule", "years")

    def __init__(self, years: int, rule: str, label: str) -> None:
        self.years, self.rule, self.label = years, rule, label


class EntryLabels:
    __slots__ = ("answer", "label", "rule", "to")

    def __init__(self, label: str, rule: str, to: Labelled | None, answer: Labelled | None) -> None:
        self.label, self.rule, self.to, self.answer = label, rule, to, answer


class ItemLabels:
    """A checklist item: its label, rule and the cases it applies to (`when`)."""

    __slots__ = ("label", "rule", "when")

    def __init__(self, label: str, rule: str, when: Condition | None) -> None:
        self.label, self.rule, self.when = label, rule, when


class ChecklistLabels:
    __slots__ = ("items", "label", "states")

    def __init__(self, label: str, states: tuple[str, ...], items: dict[str, ItemLabels]) -> None:
        self.label, self.states, self.items = label, states, items


class ReadSpec:
    """A definition as the read commands show it; read like the `ProcessSpec` it was made from.

    Attributes:
        content_hash: the definition's content hash (a case records it; a different one sends the read
            to the engine, which refuses it).
        recovery: the names of what a revocation sets going (whether there is any is what a read asks).
    """

    __slots__ = ("_states", "checklists", "content_hash", "entries", "fields", "id", "issuer", "recovery",
                 "retention", "roles", "starts", "states", "title", "tracks", "transitions", "version")

    def __init__(self, *, id: str, title: str, version: str, content_hash: str,
                 roles: dict[str, str], tracks: dict[str, Labelled], starts: dict[str, Labelled],
                 states: tuple[StateLabels, ...], transitions: tuple[TransitionLabels, ...],
                 fields: dict[str, FieldLabels], retention: RetentionLabels | None, recovery: tuple[str, ...],
                 entries: dict[str, EntryLabels], checklists: dict[str, ChecklistLabels],
                 issuer: Identified | None) -> None:
        self.id, self.title, self.version, self.content_hash = id, title, version, content_hash
        self.roles, self.tracks, self.starts, self.states = roles, tracks, starts, states
        self.transitions, self.fields, self.retention, self.recovery = transitions, fields, retention, recovery
        self.entries, self.checklists, self.issuer = entries, checklists, issuer
        self._states = {s.name: s for s in states}

    @property
    def state_map(self) -> dict[str, StateLabels]:
        return self._states

    def transitions_from(self, state: str) -> list[TransitionLabels]:
        """As `ProcessSpec.transitions_from`: every transition a case in `state` could take."""
        final = self._states[state].final if state in self._states else True
        return [t for t in self.transitions if state in t.source or ("*" in t.source and not final)]

    def label_of(self, state: str) -> str:
        spec = self._states.get(state)
        return spec.label if spec else state


class ReadCatalog:
    """The definitions of a catalogue as the read commands show them, by (id, version).

    Attributes:
        root: the definitions folder (`full()` loads the checked catalogue from it).
        problems: how many problems the checked catalogue has (any: the engine's path reports them).
    """

    __slots__ = ("_specs", "problems", "root")

    def __init__(self, root: Path, problems: int, specs: dict[tuple[str, str], ReadSpec]) -> None:
        self.root, self.problems, self._specs = root, problems, specs

    def get(self, definition_id: str, version: str) -> ReadSpec:
        """A definition by id and version, as `Catalog.get`.

        Raises:
            DefinitionLookupError: when no such version exists.
        """
        try:
            return self._specs[(definition_id, version)]
        except KeyError:
            raise DefinitionLookupError(f"{definition_id} 版本 {version}") from None

    def full(self) -> Catalog:
        """The checked catalogue itself (from its own cache; this imports the models)."""
        from .catalog import load_catalog

        return load_catalog(self.root)


def load_read_catalog(root: Path) -> ReadCatalog:
    """The read commands' catalogue of `root`: from its cache file, else made from the checked catalogue."""
    from .catalog import catalog_keys
    from .locations import cache_dir

    folder = cache_dir()
    path = None if folder is None else folder / f"catalog-{catalog_keys(root)[1]}.read.json"
    if path is not None:
        try:
            found = json.loads(path.read_bytes())
            if isinstance(found, dict) and found.get("format") == _FORMAT:
                return _catalog(root, found)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # a broken file costs a fresh load
            pass
    data = _data(root)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:  # a read-only home only costs the full load next time
            pass
    return _catalog(root, data)


# ------------------------------------------------------------------------------------ the file


def _data(root: Path) -> dict[str, Any]:
    """What the file keeps, from the checked catalogue."""
    from .catalog import load_catalog

    catalog = load_catalog(root)
    return {"format": _FORMAT, "problems": len(catalog.problems),
            "specs": [] if catalog.problems else [_spec_data(s) for s in catalog.versions()]}


def _spec_data(spec: ProcessSpec) -> dict[str, Any]:
    return {
        "id": spec.id, "title": spec.title, "version": spec.version, "content_hash": spec.content_hash,
        "roles": dict(spec.roles),
        "tracks": {k: t.label for k, t in spec.tracks.items()},
        "starts": {k: s.label for k, s in spec.starts.items()},
        "states": [[s.name, s.label, s.final, [[t.trigger, t.duty, t.mark, t.label] for t in s.timers]]
                   for s in spec.states],
        "transitions": [[t.trigger, t.label, list(t.source), t.dest, list(t.roles), t.rule, [g.when for g in t.guards]]
                        for t in spec.transitions],
        "fields": {k: [f.label, f.type, f.choices, list(f.required_for)] for k, f in spec.fields.items()},
        "issuer": None if spec.issuer is None else [spec.issuer.id, spec.issuer.label],
        "retention": None if spec.retention is None else [spec.retention.years, spec.retention.rule,
                                                          spec.retention.label],
        "recovery": list(spec.recovery),
        "entries": {k: [e.label, e.rule, e.to.label if e.to else None, e.answer.label if e.answer else None]
                    for k, e in spec.entries.items()},
        "checklists": {k: [c.label, list(c.states), {n: [i.label, i.rule, i.when] for n, i in c.items.items()}]
                       for k, c in spec.checklists.items()},
    }


def _labelled(label: str | None) -> Labelled | None:
    return None if label is None else Labelled(label)


def _spec(d: Mapping[str, Any]) -> ReadSpec:
    retention = d["retention"]
    return ReadSpec(
        id=d["id"], title=d["title"], version=d["version"], content_hash=d["content_hash"], roles=d["roles"],
        tracks={k: Labelled(v) for k, v in d["tracks"].items()},
        starts={k: Labelled(v) for k, v in d["starts"].items()},
        states=tuple(StateLabels(name, label, final, tuple(TimerLabels(*t) for t in timers))
                     for name, label, final, timers in d["states"]),
        transitions=tuple(TransitionLabels(trigger, label, tuple(source), dest, roles, rule,
                                           tuple(GuardConditions(when) for when in guards))
                          for trigger, label, source, dest, roles, rule, guards in d["transitions"]),
        fields={k: FieldLabels(label, type_, choices, tuple(required_for))
                for k, (label, type_, choices, required_for) in d["fields"].items()},
        issuer=None if d["issuer"] is None else Identified(*d["issuer"]),
        retention=None if retention is None else RetentionLabels(*retention),
        recovery=tuple(d["recovery"]),
        entries={k: EntryLabels(label, rule, _labelled(to), _labelled(answer))
                 for k, (label, rule, to, answer) in d["entries"].items()},
        checklists={k: ChecklistLabels(label, tuple(states), {n: ItemLabels(*i) for n, i in items.items()})
                    for k, (label, states, items) in d["checklists"].items()})


def _catalog(root: Path, data: Mapping[str, Any]) -> ReadCatalog:
    specs = [_spec(d) for d in data["specs"]]
    return ReadCatalog(root, int(data["problems"]), {(s.id, s.version): s for s in specs})
