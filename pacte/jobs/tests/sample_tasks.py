"""Jobs the worker tests enqueue; importable by the ``pacte worker`` processes those tests start."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def mark(directory: str, name: str) -> str:
    """Create ``directory/name``; a second run of the same job fails (the file exists)."""
    time.sleep(0.002)
    with (Path(directory) / name).open("x") as marker:
        marker.write(str(os.getpid()))
    return name


@task()
def sleep_the_first_time(directory: str) -> int:
    """Record the attempt; the first one sleeps (long enough to be killed), later ones finish."""
    folder = Path(directory)
    attempt = len(list(folder.glob("attempt-*"))) + 1
    (folder / f"attempt-{attempt}").write_text(str(os.getpid()))
    if attempt == 1:
        time.sleep(120)
    (folder / "finished").write_text(str(attempt))
    return attempt


@task()
def explode(message: str) -> None:
    raise RuntimeError(message)


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def tick() -> str:
    return "tick"
