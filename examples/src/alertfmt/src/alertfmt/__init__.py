"""One-line alert messages for time series anomalies.

format_alert() gives a stable, human-readable line such as

    [WARN] cpu host=a,room=lab usage=97.5 % is 4.2 sigma above the mean 41.0 %

and level_for() picks the level from a z-score.
"""

import tinyunits

__all__ = ["VERSION", "LEVELS", "format_alert", "level_for"]

VERSION = "1.1.0"

LEVELS = ("INFO", "WARN", "CRIT")


def level_for(z, warn=3.0, crit=5.0):
    """INFO below warn sigma, WARN below crit sigma, CRIT above."""
    a = abs(z)
    if a >= crit:
        return "CRIT"
    if a >= warn:
        return "WARN"
    return "INFO"


def _value(v, unit):
    if unit is None:
        return "%g" % v
    return "%g %s" % (v, tinyunits.symbol(unit))


def format_alert(table, field, value, z, mean, unit=None, tags=None, level=None):
    """The alert line for one reading; tags are sorted so output is stable."""
    if level is None:
        level = level_for(z)
    if level not in LEVELS:
        raise ValueError("unknown level %r" % (level,))
    series = table
    if tags:
        series += " " + ",".join("%s=%s" % (k, tags[k]) for k in sorted(tags))
    direction = "above" if z >= 0 else "below"
    return "[%s] %s %s=%s is %.1f sigma %s the mean %s" % (
        level,
        series,
        field,
        _value(value, unit),
        abs(z),
        direction,
        _value(mean, unit),
    )
