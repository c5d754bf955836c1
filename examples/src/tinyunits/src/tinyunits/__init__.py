"""Tiny unit conversion helpers for sensor readings.

Units are short strings: "degC", "degF", "K" for temperature; "Pa", "hPa",
"kPa", "bar", "psi" for pressure; "V", "mV", "A", "mA", "W", "kW" for
electrical readings. convert() moves a value between two units of the same
kind and raises ValueError for anything else.
"""

__all__ = ["VERSION", "convert", "kind", "symbol", "units"]

VERSION = "1.2.0"

# unit -> (kind, factor, offset): base = value * factor + offset
_UNITS = {
    "degC": ("temperature", 1.0, 0.0),
    "K": ("temperature", 1.0, -273.15),
    "degF": ("temperature", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    "Pa": ("pressure", 1.0, 0.0),
    "hPa": ("pressure", 100.0, 0.0),
    "kPa": ("pressure", 1000.0, 0.0),
    "bar": ("pressure", 100000.0, 0.0),
    "psi": ("pressure", 6894.757293168, 0.0),
    "V": ("voltage", 1.0, 0.0),
    "mV": ("voltage", 0.001, 0.0),
    "A": ("current", 1.0, 0.0),
    "mA": ("current", 0.001, 0.0),
    "W": ("power", 1.0, 0.0),
    "kW": ("power", 1000.0, 0.0),
}

_SYMBOLS = {"degC": "\u00b0C", "degF": "\u00b0F"}


def units():
    """All known unit names, sorted."""
    return sorted(_UNITS)


def kind(unit):
    """The quantity a unit measures, e.g. "temperature"."""
    try:
        return _UNITS[unit][0]
    except KeyError:
        raise ValueError("unknown unit %r" % (unit,)) from None


def symbol(unit):
    """How a unit is printed next to a number: "degC" -> "\u00b0C"."""
    kind(unit)
    return _SYMBOLS.get(unit, unit)


def convert(value, from_unit, to_unit):
    """Convert value from one unit to another of the same kind."""
    k1, f1, o1 = _lookup(from_unit)
    k2, f2, o2 = _lookup(to_unit)
    if k1 != k2:
        raise ValueError("cannot convert %s (%s) to %s (%s)" % (from_unit, k1, to_unit, k2))
    base = float(value) * f1 + o1
    return (base - o2) / f2


def _lookup(unit):
    try:
        return _UNITS[unit]
    except KeyError:
        raise ValueError("unknown unit %r" % (unit,)) from None
