"""Impact × urgency → priority: the default ITIL-style matrix and a provider's own cells."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pacte.sla.clock import Priority

LEVELS = ("high", "medium", "low")

DEFAULT_MATRIX: dict[str, str] = {
    "high:high": "P1",
    "high:medium": "P2",
    "high:low": "P3",
    "medium:high": "P2",
    "medium:medium": "P3",
    "medium:low": "P4",
    "low:high": "P3",
    "low:medium": "P4",
    "low:low": "P4",
}


def matrix_error(matrix: Any) -> str | None:
    """Why ``matrix`` is not a valid priority matrix (``None`` when it is)."""
    if not isinstance(matrix, Mapping):
        return "The matrix maps 'impact:urgency' to a priority."
    for key, value in matrix.items():
        if key not in DEFAULT_MATRIX:
            return f"Unknown cell {key!r}: cells are 'impact:urgency' with high, medium or low."
        if value not in Priority.__members__:
            return f"Unknown priority {value!r}: P1 to P4."
    return None


def priority_for(impact: str, urgency: str, matrix: Mapping[str, str] | None = None) -> str:
    key = f"{impact}:{urgency}"
    if key not in DEFAULT_MATRIX:
        raise ValueError(f"impact and urgency are high, medium or low, not {key!r}")
    return (matrix or {}).get(key) or DEFAULT_MATRIX[key]
