"""`award definitions diagram` and the diagram of one case (`award show CASE --diagram`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .context import Settings, pass_settings
from .definitions import definitions


def emit(spec: Any, *, svg: Path | None, current: str | None = None, path: Any = ()) -> None:
    """Print Mermaid text, or write an SVG rendered by Graphviz to `svg` (`-` for stdout)."""
    from award.workflow.diagram import dot_source, mermaid, render_svg

    if svg is None:
        click.echo(mermaid(spec, current=current, path=path), nl=False)
        return
    data = render_svg(dot_source(spec, current=current, path=path))
    if str(svg) == "-":
        import sys

        sys.stdout.buffer.write(data)
        return
    from award.workflow.userfiles import check_output

    check_output(svg, "SVG 文件")  # a FIFO, device or folder would block or fail half-way
    svg.write_bytes(data)
    click.echo(f"已生成 {svg}（{len(data) // 1024 + 1} KB）")


def case_path(settings: Settings, case_ref: str) -> tuple[Any, str, list[tuple[str | None, str, str | None]]]:
    """(definition, current state, steps taken) of a case, from its history."""
    view, events = settings.engine().history(case_ref)
    spec = settings.engine().catalog.get(view.procedure, view.definition_version)
    steps = [(e.source if e.kind != "created" else None, e.dest or "", e.trigger) for e in events
             if e.kind in ("created", "transition", "correction") and e.dest]
    return spec, view.state, steps


@definitions.command("diagram")
@click.argument("definition_id", metavar="流程")
@click.option("--svg", type=click.Path(path_type=Path), help="用 Graphviz 生成 SVG 文件（写 - 则输出到标准输出）。")
@pass_settings
def definitions_diagram(settings: Settings, definition_id: str, svg: Path | None) -> None:
    """输出流程图：Mermaid stateDiagram-v2 文本（中文名称，标出公示 📢、定时 ⏱ 和通知 ✉）。

    文本可粘贴到支持 Mermaid 的编辑器或文档中；--svg 需要安装 Graphviz。

    \b
    示例：
      award definitions diagram sha > sha.mmd
      award definitions diagram sha --svg sha.svg
    """
    from award.workflow.specs.catalog import load_catalog

    catalog = load_catalog(settings.definitions_root())
    emit(catalog.get(definition_id.strip().lower()), svg=svg)


COMMANDS: list[click.Command] = []
