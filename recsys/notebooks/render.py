"""Executed notebooks as standalone HTML, for sharing with the agency's leadership."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from recsys.notebooks.hygiene import read

#: nbconvert templates: ``offline`` is the lab template minus its CDN scripts.
TEMPLATES = Path(__file__).with_name("templates")


def render(executed: Sequence[Path], out_dir: Path, *, show_code: bool = False) -> list[Path]:
    """Standalone HTML (figures embedded) of each executed notebook in ``out_dir``; code
    cells hidden unless ``show_code``. Returns the files written."""
    from nbconvert import HTMLExporter

    out_dir.mkdir(parents=True, exist_ok=True)
    # no scripts from the internet: leadership may open the pages offline
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    written = []
    for path in executed:
        body, _ = exporter.from_notebook_node(
            read(path), resources={"metadata": {"name": path.stem}}
        )
        target = out_dir / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written
