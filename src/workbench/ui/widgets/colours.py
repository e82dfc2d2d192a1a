"""Semantic colours shared by the docks: red for trouble, amber for attention, green for good.

Why one module: the Account and Timeline docks (and the account plan, invoice and collection
docks to come) must mean the same thing by "overdue" or "at risk", so the shades live in one
place. They read on light and dark palettes alike (mid saturation, never pure black or white).
"""

from __future__ import annotations

RED = "#d32f2f"
AMBER = "#ef8f00"
GREEN = "#2e7d32"
BLUE = "#1e88e5"
GREY = "#8a8a8a"
