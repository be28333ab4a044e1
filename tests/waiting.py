"""Wait for something another process does (a worker, a webhook, a server coming up)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(
    check: Callable[[], Any], what: str, seconds: float = 30.0, interval: float = 0.1
) -> Any:
    """``check()``'s first true value, asked every ``interval`` seconds; fails the test when
    ``what`` has not happened within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}"
        time.sleep(interval)
