"""Decimal rounding for tests that recompute a figure from raw rows and
compare it with a mart (the marts round with the SQL macro round_half_away;
the package itself never rounds)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float | Decimal | None, digits: int) -> float | None:
    """`value` rounded to `digits` decimals, halves away from zero, on its
    shortest decimal text (so 2.675 gives 2.68)."""
    if value is None:
        return None
    exponent = Decimal(1).scaleb(-digits)
    return float(Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP))
