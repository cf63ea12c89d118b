"""How a figure reads, written once for the Results page, the PDF report and the command line.

Each function turns one kind of number into text with its unit and rounding: money in whole dollars,
hourly prices to a tenth of a cent, latencies in whole milliseconds, shares as percentages,
availability to three decimals, counts of requests a month with "< 1" for a rare but possible loss.
A figure that is not known (``None``) reads as ``DASH``.
"""

from __future__ import annotations

DASH = "—"  # a figure that is not known, or a cell with nothing to say
LESS_THAN_ONE = "< 1"  # a count above zero that would round to 0


def money(usd: float | None) -> str:
    """US dollars, whole: ``$12,345``."""
    return DASH if usd is None else f"${usd:,.0f}"


def usd(value: float) -> str:
    """US dollars, whole, without the sign (the column says USD): ``12,345``."""
    return f"{value:,.0f}"


def hourly_price(usd_per_hour: float) -> str:
    """An hourly price in US dollars without the sign (the column says ``$/h``): ``2.490``."""
    return f"{usd_per_hour:,.3f}"


def ms(value: float | None, *, digits: int = 0, unit: bool = False) -> str:
    """Milliseconds, whole unless ``digits`` says otherwise; ``unit`` appends `` ms`` (for text without a header)."""
    if value is None:
        return DASH
    return f"{value:,.{digits}f}" + (" ms" if unit else "")


def ms_range(low: float, high: float) -> str:
    """A confidence interval of milliseconds: ``410–455``."""
    return f"{ms(low)}–{ms(high)}"


def percent(share: float, *, digits: int = 0) -> str:
    """A share (0.42) as a percentage: ``42%``."""
    return f"{share:.{digits}%}"


def availability(pct: float) -> str:
    """An availability already in percent, to three decimals: ``99.950 %``."""
    return f"{pct:.3f} %"


def availability_range(low_pct: float, high_pct: float) -> str:
    """A confidence interval of availability in percent, without the unit: ``99.940–99.960``."""
    return f"{low_pct:.3f}–{high_pct:.3f}"


def count(value: float, *, below_one: bool = True) -> str:
    """A count that may be fractional on average (requests a month), whole; ``below_one``: ``< 1`` when above zero
    but rounding to 0 (the page says a rare loss is possible; the PDF report quotes whole numbers)."""
    return LESS_THAN_ONE if below_one and 0 < value < 0.5 else f"{value:,.0f}"


def million_requests(requests: float) -> str:
    """A volume of requests in millions, three significant digits, as the break-even sentence quotes it: ``1.31 M``."""
    return f"{requests / 1e6:,.3g} M"


def rate(value: float) -> str:
    """Events in a period (crashes a month, replicas on average), to one decimal: ``2.5``."""
    return f"{value:,.1f}"


def score(points: float) -> str:
    """A score in points, to one decimal: ``57.3``."""
    return f"{points:.1f}"


def points(value: float, *, digits: int = 2) -> str:
    """Points a driver adds or takes away, signed: ``+3.25``."""
    return signed(value, digits=digits)


def signed(value: float, *, digits: int = 0) -> str:
    """A change, with its sign: ``+1,250``, ``-3.5``."""
    return f"{value:+,.{digits}f}"


def number(value: float) -> str:
    """A plain number as typed (targets, traffic, answers): ``1,500``, ``0.75``."""
    return f"{value:,g}"


def quantity(value: float) -> str:
    """A constant as documented, to six significant digits: ``0.000125``, ``1,500``."""
    return f"{value:,.6g}"


def yes_no(flag: bool) -> str:
    """A yes-or-no cell."""
    return "yes" if flag else "no"


def counted(n: int, noun: str) -> str:
    """A count with its noun: ``no gaps``, ``1 gap``, ``3 gaps``."""
    return f"{n or 'no'} {noun}{'' if n == 1 else 's'}"
