"""A procedure as a diagram: Mermaid `stateDiagram-v2` text, or Graphviz DOT rendered to SVG by `dot`.

Hand-written rather than `transitions`' GraphMachine: ours marks what the office reads the diagram
for (public notices, timers with their periods, notifications, the rule of each step, a case's
current state and the path it took), in Chinese, and needs no Machine per case. Ids stay ASCII
(Mermaid and DOT need them), every label is Chinese.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from .errors import DataError
from .labels import period
from .specs.model import ProcessSpec, TransitionSpec

__all__ = ["dot_source", "mermaid", "render_svg"]

TIMER = "⏱"
NOTICE = "📢"
MAIL = "✉"


def _clean(text: str) -> str:
    """Labels may not carry Mermaid's separators."""
    return text.replace(":", "：").replace(";", "；").replace('"', "“").replace("{", "（").replace("}", "）")


def _edges(spec: ProcessSpec) -> list[tuple[str, str, TransitionSpec]]:
    out = []
    for t in spec.transitions:
        sources = [s.name for s in spec.states if not s.final] if "*" in t.source else t.source
        for src in sources:
            out.append((src, t.dest, t))
    return out


def _edge_label(spec: ProcessSpec, t: TransitionSpec) -> str:
    label = t.label
    if t.roles == ["system"]:
        label = f"{TIMER} {label}"
    if t.notify:
        label += f" {MAIL}"
    if t.rule:
        label += f" [{t.rule}]"
    return _clean(label)


def _state_label(spec: ProcessSpec, name: str) -> str:
    st = spec.state(name)
    label = st.label
    if st.notice:
        label = f"{NOTICE} {label}"
    return _clean(label)


def _timer_lines(spec: ProcessSpec, name: str) -> list[str]:
    lines = []
    for t in spec.state(name).timers:
        when = period(t.after) if t.after else (period(t.every) if t.every else
                                                 (spec.round_dates[t.at].label if t.at in spec.round_dates else t.at or ""))
        if t.after_field is not None:  # a time limit the step entering the state sets (SQI-9)
            when = spec.fields[t.after_field].label if t.after_field in spec.fields else t.after_field
        what = t.label or next((x.label for x in spec.transitions if x.trigger == t.trigger), t.duty or t.mark or "")
        lines.append(_clean(f"{TIMER} {when}：{what} [{t.rule}]"))
    return lines


def mermaid(spec: ProcessSpec, *, current: str | None = None, path: Sequence[tuple[str | None, str, str | None]] = ()
            ) -> str:
    """The procedure as Mermaid `stateDiagram-v2`.

    Args:
        current: the state to mark as the case's current one.
        path: the steps a case took, as (source, dest, trigger); their edges are marked ✔ and states shaded.
    """
    taken = {(src, dest, trig) for src, dest, trig in path}
    visited = {dest for _, dest, _ in path} | {src for src, _, _ in path if src}
    lines = ["stateDiagram-v2", f"    %% {_clean(spec.title)}（{spec.version}），{_clean(spec.source)}"]
    for st in spec.states:
        lines.append(f'    state "{_state_label(spec, st.name)}" as {st.name}')
    for key, start in spec.starts.items():
        mark = "✔ " if (None, start.state, key) in taken else ""
        lines.append(f"    [*] --> {start.state} : {mark}{_clean(start.label)}")
    for src, dest, t in _edges(spec):
        mark = "✔ " if (src, dest, t.trigger) in taken else ""
        lines.append(f"    {src} --> {dest} : {mark}{_edge_label(spec, t)}")
    for st in spec.states:
        if st.final:
            lines.append(f"    {st.name} --> [*]")
        notes = _timer_lines(spec, st.name)
        if notes:
            lines.append(f"    note right of {st.name}")
            lines += [f"        {n}" for n in notes]
            lines.append("    end note")
    lines.append("    classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px")
    lines.append("    classDef visited fill:#dbeafe,stroke:#1d4ed8")
    lines.append("    classDef final fill:#e5e7eb,stroke:#6b7280")
    finals = [st.name for st in spec.states if st.final and st.name != current and st.name not in visited]
    if finals:
        lines.append(f"    class {','.join(finals)} final")
    shaded = sorted(visited - {current})
    if shaded:
        lines.append(f"    class {','.join(shaded)} visited")
    if current:
        lines.append(f"    class {current} current")
    return "\n".join(lines) + "\n"


def dot_source(spec: ProcessSpec, *, current: str | None = None,
               path: Sequence[tuple[str | None, str, str | None]] = ()) -> str:
    """The same diagram as Graphviz DOT (for `dot -Tsvg`)."""
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    taken = {(src, dest, trig) for src, dest, trig in path}
    visited = {dest for _, dest, _ in path} | {src for src, _, _ in path if src}
    font = 'fontname="Noto Sans CJK SC,WenQuanYi Micro Hei,sans-serif"'
    out = [f"digraph {q(spec.id)} {{", f"  graph [{font}, rankdir=TB, label={q(spec.title)}, labelloc=t];",
           f"  node [{font}, shape=box, style=\"rounded,filled\", fillcolor=white];", f"  edge [{font}, fontsize=10];",
           '  "__start" [shape=circle, label="", width=0.2, fillcolor=black];']
    for st in spec.states:
        label = "\\n".join([_state_label(spec, st.name), *_timer_lines(spec, st.name)])
        fill = "#fde68a" if st.name == current else "#dbeafe" if st.name in visited else \
            "#e5e7eb" if st.final else "white"
        extra = ", penwidth=3" if st.name == current else ", peripheries=2" if st.final else ""
        out.append(f"  {q(st.name)} [label={q(label)}, fillcolor={q(fill)}{extra}];")
    for key, start in spec.starts.items():
        bold = ", penwidth=2.5, color=\"#1d4ed8\"" if (None, start.state, key) in taken else ""
        out.append(f"  \"__start\" -> {q(start.state)} [label={q(_clean(start.label))}{bold}];")
    for src, dest, t in _edges(spec):
        style = ", style=dashed" if t.roles == ["system"] else ""
        bold = ", penwidth=2.5, color=\"#1d4ed8\"" if (src, dest, t.trigger) in taken else ""
        out.append(f"  {q(src)} -> {q(dest)} [label={q(_edge_label(spec, t))}{style}{bold}];")
    out.append("}")
    return "\n".join(out) + "\n"


def render_svg(source: str) -> bytes:
    """SVG from DOT text by Graphviz's `dot`.

    Raises:
        DataError: `dot` is not installed (exit 6), saying how to install it.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise DataError("未找到 Graphviz 的 dot 程序，无法生成 SVG。请先安装 Graphviz："
                        "Debian/Ubuntu 用 sudo apt-get install graphviz，CentOS/麒麟用 sudo yum install graphviz，"
                        "macOS 用 brew install graphviz，Windows 从 https://graphviz.org/download/ 下载；"
                        "不安装也可以用不带 --svg 的命令输出 Mermaid 文本")
    done = subprocess.run([exe, "-Tsvg"], input=source.encode(), capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise DataError("dot 未能生成 SVG：" + done.stderr.decode(errors="replace").strip()[:500])
    return done.stdout
