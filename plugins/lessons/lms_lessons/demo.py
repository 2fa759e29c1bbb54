"""Demo content (filled in below)."""

from collections.abc import Callable
from typing import Any


def seed(echo: Callable[[str], Any]) -> None:
    echo("lessons: nothing to seed yet")
