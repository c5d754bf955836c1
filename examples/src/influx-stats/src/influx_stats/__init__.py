"""Rolling statistics for streams of readings.

RollingStats keeps the last `window` values of one series, in one base unit
(values pushed in another unit are converted with tinyunits), and answers
mean, standard deviation and the z-score of a new value against them.
"""

from collections import deque
import math

import tinyunits

__all__ = ["VERSION", "RollingStats", "mean", "stddev", "zscore"]

VERSION = "0.3.0"


def mean(values):
    """Arithmetic mean; ValueError for no values."""
    values = list(values)
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def stddev(values):
    """Population standard deviation; 0.0 for fewer than two values."""
    values = list(values)
    if len(values) < 2:
        return 0.0
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / len(values))


def zscore(value, values):
    """How many standard deviations value lies from the mean of values.

    0.0 when the values do not vary (or there are fewer than two), so a
    flat series never raises an alert by dividing by zero.
    """
    values = list(values)
    sd = stddev(values)
    if sd == 0.0:
        return 0.0
    return (value - mean(values)) / sd


class RollingStats:
    """The last `window` values of one series, kept in `unit`."""

    def __init__(self, window=30, unit=None):
        if window < 2:
            raise ValueError("window must be at least 2, got %r" % (window,))
        self.window = window
        self.unit = unit
        self._values = deque(maxlen=window)

    def __len__(self):
        return len(self._values)

    def to_base(self, value, unit=None):
        """A reading in the window's unit."""
        if unit is None or self.unit is None or unit == self.unit:
            return float(value)
        return tinyunits.convert(value, unit, self.unit)

    def push(self, value, unit=None):
        """Add a reading; returns it in the base unit."""
        v = self.to_base(value, unit)
        self._values.append(v)
        return v

    def score(self, value, unit=None):
        """The z-score of a reading against the window, without adding it."""
        return zscore(self.to_base(value, unit), self._values)

    def ready(self, minimum=None):
        """Whether enough values were seen for a score to mean something."""
        return len(self._values) >= (self.window if minimum is None else minimum)

    def mean(self):
        return mean(self._values)

    def stddev(self):
        return stddev(self._values)
