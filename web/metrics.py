"""Prometheus text exposition of the channels' health and read budgets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from inbox.domain.network import ChannelStatus
from inbox.domain.replica import ReplicaState

# name, help, key in the connector's status snapshot (None: computed here)
GAUGES = (
    ("inbox_channel_degraded", "1 while the channel is degraded", None),
    ("inbox_channel_lag_seconds", "seconds since the last successful poll", "lag_seconds"),
    ("inbox_channel_reads_today", "posts read today", "reads_today"),
    ("inbox_channel_reads_this_month", "posts read this month", "reads_this_month"),
    ("inbox_channel_reads_left_today", "posts left in today's budget", "reads_left_today"),
    (
        "inbox_channel_reads_left_this_month",
        "posts left in this month's budget",
        "reads_left_this_month",
    ),
    (
        "inbox_channel_projected_month_end_reads",
        "posts read by the end of the month at this month's pace",
        "projected_month_end_reads",
    ),
)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(channel: ChannelStatus, key: str | None) -> float | None:
    status = channel.status or {}
    if key is None:
        health = status.get("health")
        return 1.0 if isinstance(health, dict) and health.get("degraded") else 0.0
    value = status.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


SLA_METRICS = (
    ("inbox_sla_running_clocks", "gauge", "response clocks waiting for an answer", "running"),
    (
        "inbox_sla_at_risk_clocks",
        "gauge",
        "running clocks due in the next 15 minutes",
        "at_risk_15m",
    ),
    ("inbox_sla_overdue_clocks", "gauge", "running clocks past their deadline", "overdue"),
    ("inbox_sla_warnings_total", "counter", "SLA warnings fired", "warnings_fired"),
    ("inbox_sla_breaches_total", "counter", "SLA breaches fired", "breaches_fired"),
)


def _sla_lines(sla: Mapping[str, int]) -> list[str]:
    lines: list[str] = []
    for metric, kind, help_text, key in SLA_METRICS:
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} {kind}", f"{metric} {sla[key]}"]
    return lines


def incident_lines(
    open_incidents: int, scores: Mapping[tuple[str, str, timedelta], float]
) -> list[str]:
    """Open incidents, and the detector's latest score per watched slice of this process."""
    lines = [
        "# HELP inbox_incidents_open incidents open now",
        "# TYPE inbox_incidents_open gauge",
        f"inbox_incidents_open {open_incidents}",
        "# HELP inbox_outage_score the outage detector's latest score per slice, in [0, 1]",
        "# TYPE inbox_outage_score gauge",
    ]
    for (kind, value, width), score in sorted(scores.items()):
        labels = (
            f'slice="{_label(kind)}",value="{_label(value)}",'
            f'bucket_seconds="{int(width.total_seconds())}"'
        )
        lines.append(f"inbox_outage_score{{{labels}}} {score:.4g}")
    return lines


def replica_lines(state: ReplicaState) -> list[str]:
    """The read replica's lag as last measured (absent while it cannot be reached), and
    whether reads that may be a moment behind go to it."""
    lines = [
        "# HELP inbox_replica_reads 1 while dashboards, reports and search read from the replica",
        "# TYPE inbox_replica_reads gauge",
        f"inbox_replica_reads {int(state.reads_from_replica)}",
        "# HELP inbox_replica_lag_seconds how far the read replica is behind the primary",
        "# TYPE inbox_replica_lag_seconds gauge",
    ]
    if state.lag_seconds is not None:
        lines.append(f"inbox_replica_lag_seconds {state.lag_seconds:.6g}")
    return lines


def render(
    channels: Sequence[ChannelStatus],
    sla: Mapping[str, int] | None = None,
    incidents: Sequence[str] = (),
) -> str:
    lines = _sla_lines(sla) if sla is not None else []
    lines += incidents
    for name, help_text, key in GAUGES:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for channel in channels:
            value = _value(channel, key)
            if value is not None:
                labels = f'network="{channel.network.value}",account="{_label(channel.handle)}"'
                lines.append(f"{name}{{{labels}}} {value:g}")
    name = "inbox_channel_degraded_events_total"
    lines += [f"# HELP {name} channel degraded events so far", f"# TYPE {name} counter"]
    for channel in channels:
        labels = f'network="{channel.network.value}",account="{_label(channel.handle)}"'
        lines.append(f"{name}{{{labels}}} {channel.degraded_events}")
    return "\n".join(lines) + "\n"
