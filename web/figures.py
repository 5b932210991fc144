"""The dashboard's and a person's own figures, as words and charts: both SLA clocks per day,
the customers waiting by how long, and adoption (people active per week by team, answers
through the inbox). Every share says its denominator ("82% of 17 clocks"); a share of
nothing is not a zero, it is "no clocks". Days and weeks are the reader's (local dates the
reports grouped by in their zone)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from inbox.domain.adoption import AdoptionReport
from inbox.domain.sla import SlaReportRow
from web.charts import Bar, Series, bar_list, column_chart

# The customers waiting, by how long (the SLA gauges' names), and when that is late.
AGES = (
    ("waiting_under_15m", "under 15 min", "1"),
    ("waiting_15m_to_1h", "15 min – 1 h", "1"),
    ("waiting_1h_to_4h", "1 h – 4 h", "alert"),
    ("waiting_4h_to_1d", "4 h – 1 day", "alert"),
    ("waiting_over_1d", "over a day", "alert"),
)
# Past this many weeks, adoption is drawn as lines rather than columns.
MOST_WEEK_COLUMNS = 12


def day_label(iso_day: str) -> str:
    """A report's day ("2026-12-07") as a person reads it: "Mon 07 Dec"."""
    try:
        return f"{date.fromisoformat(iso_day):%a %d %b}"
    except ValueError:
        return iso_day


def share(part: int, whole: int) -> float | None:
    """The share in percent, or None when there is nothing to share (not a zero)."""
    return None if whole == 0 else 100 * part / whole


def share_words(part: int, whole: int, noun: str, nothing: str = "") -> str:
    """ "82% of 17 clocks"; "no clocks" when there are none."""
    if whole == 0:
        return nothing or f"no {noun}"
    named = noun if whole != 1 else _SINGULAR.get(noun, noun)
    return f"{100 * part / whole:.0f}% of {whole} {named}"


_SINGULAR = {
    "clocks": "clock",
    "people": "person",
    "customers": "customer",
    "public answers": "public answer",
}


@dataclass(frozen=True, slots=True)
class ClockTotals:
    """Both clocks over the report's days, with their denominators."""

    clocks: int
    met: int
    decided: int  # clocks met or breached (a running clock is decided once overdue)
    within_hour: int
    in_hours: int
    within_in_hours: int
    out_of_hours: int
    within_out_of_hours: int

    @classmethod
    def of(cls, rows: Sequence[SlaReportRow]) -> ClockTotals:
        return cls(
            clocks=sum(r.clocks for r in rows),
            met=sum(r.met for r in rows),
            decided=sum(r.met + r.breached for r in rows),
            within_hour=sum(r.within_hour for r in rows),
            in_hours=sum(r.arrived_in_hours for r in rows),
            within_in_hours=sum(r.within_hour_in_hours for r in rows),
            out_of_hours=sum(r.arrived_out_of_hours for r in rows),
            within_out_of_hours=sum(r.within_hour_out_of_hours for r in rows),
        )

    @property
    def met_words(self) -> str:
        return share_words(self.met, self.decided, "clocks")

    @property
    def within_words(self) -> str:
        return share_words(self.within_hour, self.clocks, "clocks")

    @property
    def in_hours_words(self) -> str:
        return share_words(self.within_in_hours, self.in_hours, "clocks")

    @property
    def out_of_hours_words(self) -> str:
        return share_words(self.within_out_of_hours, self.out_of_hours, "clocks")


def clocks_per_day(
    key: str, rows: Sequence[SlaReportRow], days: Sequence[date], *, whose: str = ""
) -> Markup:
    """Both clocks of each day: met on the business clock, and answered within 60 minutes
    of the customer's own wait, for those who wrote in hours and out of hours."""
    by_day = {r.key: r for r in rows}
    found = [by_day.get(day.isoformat()) for day in days]

    def series(name: str, tone: str, part: str, whole: str) -> Series:
        values: list[float | None] = []
        words: list[str] = []
        for row in found:
            got = 0 if row is None else int(getattr(row, part))
            of = 0 if row is None else _whole(row, whole)
            values.append(share(got, of))
            words.append(share_words(got, of, "clocks"))
        return Series(name, values, words, tone)

    categories = [f"{day:%a %d %b}" for day in days]
    summary = (
        "Each day's share of its clocks met on the business clock, and answered within 60"
        " minutes of the customer's wait for those who wrote in hours and out of hours;"
        " under each day, how many clocks it had."
    )
    return column_chart(
        key,
        title=f"Day by day{whose}",
        summary=summary,
        categories=categories,
        labels=[f"{day:%a}\n{day:%d}" for day in days],
        sublabels=[_clocks(row) for row in found],
        bars=(
            series("Met on the business clock", "1", "met", "decided"),
            series("Within 60 min, arrived in hours", "2", "within_hour_in_hours", "in"),
            series("Within 60 min, arrived out of hours", "3", "within_hour_out_of_hours", "out"),
        ),
        as_percent=True,
        table_head="Day",
    )


def _whole(row: SlaReportRow, whole: str) -> int:
    if whole == "decided":
        return row.met + row.breached
    if whole == "in":
        return row.arrived_in_hours
    return row.arrived_out_of_hours


def _clocks(row: SlaReportRow | None) -> str:
    count = 0 if row is None else row.clocks
    return f"{count} clock{'s' if count != 1 else ''}"


def waiting_by_age(key: str, gauges: Mapping[str, int], *, whose: str = "") -> Markup:
    """The customers waiting for an answer now, by how long they have waited."""
    total = sum(gauges.get(name, 0) for name, _, _ in AGES)
    rows = [
        Bar(label, gauges.get(name, 0), f"{gauges.get(name, 0)} of {total} waiting", tone)
        for name, label, tone in AGES
    ]
    late = sum(gauges.get(name, 0) for name, _, tone in AGES if tone == "alert")
    noun = "customer" if total == 1 else "customers"
    return bar_list(
        key,
        title=f"Customers waiting{whose}, by how long",
        summary=f"{total} {noun} waiting for an answer now; {late} of them for an hour or more.",
        rows=rows,
        head="Customers",
    )


def _week_labels(weeks: Sequence[date]) -> list[str | None]:
    # Every week named while a few; else about eight names along the axis.
    every = max(1, -(-len(weeks) // 8))
    last = len(weeks) - 1
    return [f"{w:%d %b}" if (last - i) % every == 0 else None for i, w in enumerate(weeks)]


def active_people(key: str, report: AdoptionReport) -> Markup:
    """People active per week, a series per team, each value with its headcount."""
    weeks = report.weeks
    series = []
    for number, team in enumerate(report.teams):
        counted = [report.active_in(team, week) for week in weeks]
        if team.team_id is None and not any(active for active, _ in counted):
            continue  # people in no team, none active: nothing to draw
        name = team.name or "Not in a team"
        series.append(
            Series(
                name,
                [active for active, _ in counted],
                [f"{active} of {people} people" for active, people in counted],
                str(number % 6 + 1),
            )
        )
    last = weeks[-1]
    this_week = "; ".join(f"{s.name}: {s.words[-1]}" for s in series)
    return column_chart(
        key,
        title="People active per week, by team",
        summary=f"Week of {last:%d %b}: {this_week or 'no team yet'}. Active: they replied,"
        " wrote a note, assigned or resolved a thread in the inbox.",
        categories=[f"Week of {w:%d %b}" for w in weeks],
        labels=_week_labels(weeks),
        bars=series if len(weeks) <= MOST_WEEK_COLUMNS else (),
        lines=series if len(weeks) > MOST_WEEK_COLUMNS else (),
        y_label="people",
        table_head="Week",
    )


def answers_through_inbox(key: str, report: AdoptionReport) -> Markup:
    """The share of the brand's public answers sent through the inbox, week by week."""
    weeks = report.weeks
    counted = [report.answers_in(week) for week in weeks]
    values = [share(through, total) for through, total in counted]
    words = [share_words(through, total, "public answers") for through, total in counted]
    through, total = report.answers_on()
    straight = total - through
    summary = (
        f"Since {weeks[0]:%d %b %Y}: {share_words(through, total, 'public answers')} went"
        f" through the inbox; {straight} were written straight on the network."
    )
    series = Series("Through the inbox", values, words, "1")
    return column_chart(
        key,
        title="Answers through the inbox, per week",
        summary=summary,
        categories=[f"Week of {w:%d %b}" for w in weeks],
        labels=_week_labels(weeks),
        bars=(series,) if len(weeks) <= MOST_WEEK_COLUMNS else (),
        lines=(series,) if len(weeks) > MOST_WEEK_COLUMNS else (),
        as_percent=True,
        table_head="Week",
    )
