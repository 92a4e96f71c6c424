"""Where keyextract's shipped data files (``data/`` at the source tree's root) are found."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """Path of a shipped data file or folder: inside the installed package, else in the source tree.

    Raises ``FileNotFoundError`` naming the path when neither exists.
    """
    packaged = resources.files("keyextract").joinpath("data", *parts)
    if packaged.is_file() or packaged.is_dir():
        return Path(str(packaged))
    source_tree = Path(__file__).resolve().parent.parent.joinpath("data", *parts)
    if source_tree.exists():
        return source_tree
    raise FileNotFoundError(f"keyextract's data file {'/'.join(parts)} is missing from the installation")
