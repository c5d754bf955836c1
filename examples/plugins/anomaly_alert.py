"""anomaly_alert: flag readings far from their recent mean.

An InfluxDB 3 processing engine plugin for a data write (WAL) trigger. For
every row written to the watched table it converts the chosen field to a base
unit (tinyunits), scores it against the series' rolling window
(influx-stats) and, when the z-score reaches the threshold, logs a warning
and writes an alert row (alertfmt formats the message).

Trigger arguments (all optional):
    field       field to watch                    default "value"
    unit        unit the field is written in      default: same as base_unit
    base_unit   unit the statistics are kept in   default: no conversion
    series      tag columns that name a series,   default: one series per table
                separated by ":" (e.g. host:room)
    window      readings kept per series          default 30
    min_points  readings needed before scoring    default 10
    threshold   z-score that raises an alert      default 3.0
    alert_table table the alerts are written to   default "anomalies"

Create it with, e.g.:
    influxdb3 create trigger --database sensors --plugin-filename anomaly_alert.py \
        --trigger-spec "table:temperature" \
        --trigger-arguments field=temp,unit=degF,base_unit=degC,series=room anomaly_alert

Dependencies (see requirements.txt and pylock.toml): influx-stats, alertfmt.
"""

import alertfmt
from influx_stats import RollingStats

# Rolling windows per (table, series key). The engine keeps a plugin's
# module loaded between calls of the same trigger, so the windows carry over
# from one WAL flush to the next.
_windows = {}


def _arg(args, name, default, convert=str):
    if not args or args.get(name) in (None, ""):
        return default
    try:
        return convert(args[name])
    except ValueError:
        raise ValueError("trigger argument %s=%r is not a valid %s" % (name, args[name], convert.__name__))


def _batch_parts(batch):
    # Table batches are dicts with "table_name" and "rows"; newer engines
    # pass TableBatch objects with the same names as attributes.
    if isinstance(batch, dict):
        return batch["table_name"], batch["rows"]
    return batch.table_name, batch.rows


def process_writes(influxdb3_local, table_batches, args=None):
    field = _arg(args, "field", "value")
    base_unit = _arg(args, "base_unit", None)
    unit = _arg(args, "unit", base_unit)
    series_tags = [t for t in _arg(args, "series", "").split(":") if t]
    window = _arg(args, "window", 30, int)
    min_points = _arg(args, "min_points", 10, int)
    threshold = _arg(args, "threshold", 3.0, float)
    alert_table = _arg(args, "alert_table", "anomalies")

    checked = alerts = 0
    for batch in table_batches:
        table, rows = _batch_parts(batch)
        if table == alert_table:
            continue  # never score our own output
        for row in rows:
            value = row.get(field)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            tags = {t: row[t] for t in series_tags if t in row}
            key = (table,) + tuple(sorted(tags.items()))
            stats = _windows.get(key)
            if stats is None:
                stats = _windows[key] = RollingStats(window=window, unit=base_unit)
            checked += 1
            if stats.ready(min_points):
                z = stats.score(value, unit)
                if abs(z) >= threshold:
                    alerts += 1
                    shown = stats.to_base(value, unit)
                    message = alertfmt.format_alert(
                        table, field, shown, z, stats.mean(), unit=base_unit, tags=tags,
                        level=alertfmt.level_for(z, warn=threshold),
                    )
                    influxdb3_local.warn(message)
                    # LineBuilder is put into builtins by the engine.
                    line = LineBuilder(alert_table)  # noqa: F821
                    line.tag("source_table", table)
                    for k in sorted(tags):
                        line.tag(k, str(tags[k]))
                    line.string_field("field", field)
                    line.float64_field("value", shown)
                    line.float64_field("zscore", z)
                    line.string_field("message", message)
                    if isinstance(row.get("time"), int):
                        line.time_ns(row["time"])
                    influxdb3_local.write(line)
            stats.push(value, unit)
    influxdb3_local.info("anomaly_alert: scored %d rows, %d alerts" % (checked, alerts))
