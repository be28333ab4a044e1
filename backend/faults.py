"""Pause points for the fault tests (tests/faults): a place in a task where a test can hold
a worker still and kill it, to prove that the work is done exactly once after a restart.

Without the FAULT_PAUSE_DIR setting (production never has it) a pause point does nothing.
With it, a point named ``name`` pauses only when the test armed it by creating
``<dir>/<name>.pause``: it then creates ``<dir>/<name>.reached`` and waits until
``<dir>/<name>.go`` exists (or the process is killed, which is what the tests do).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings

POLL_SECONDS = 0.05


def pause_point(name: str) -> None:
    directory = getattr(settings, "FAULT_PAUSE_DIR", "")
    if not directory:
        return
    folder = Path(directory)
    if not (folder / f"{name}.pause").exists():
        return
    (folder / f"{name}.reached").write_text(str(os.getpid()))
    while not (folder / f"{name}.go").exists():
        time.sleep(POLL_SECONDS)
