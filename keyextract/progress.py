"""Progress bars on stderr, shared by the API, the encoder and the CLI."""

from __future__ import annotations

import sys


def progress_bar(total: int, enabled: bool, unit: str = "doc"):
    """A tqdm bar on stderr that clears itself when done (a no-op when not ``enabled``)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, disable=not enabled, file=sys.stderr, leave=False)
