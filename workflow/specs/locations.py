"""Where the bundled definitions are, and where the content-keyed caches live (parsed YAML, checked
catalogues, the plain read path's labels and statements).

Apart from `loader.py` so that a reader of a cache imports neither the parser nor the models.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["bundled_definitions", "cache_dir"]


def bundled_definitions() -> Path:
    """The `definitions/` folder installed beside the engine."""
    from award import definitions

    return Path(definitions.__file__).parent


def cache_dir() -> Path | None:
    """The folder of the content-keyed caches (parsed YAML, checked catalogues): `AWARD_CACHE_DIR`, else
    `$XDG_CACHE_HOME/award`, else `~/.cache/award`."""
    root = os.environ.get("AWARD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "award")
    return Path(root)
