"""Schedules in a time zone with daylight saving: cronie's rule, on top of Temporal's calendars.

The rule (cronie, `man 8 cron`, "Daylight Saving Time and other time changes", and its
`cron.c` main loop): local time changes of less than three hours are handled specially for
*fixed-time* jobs, those whose minute and hour fields do not start with `*` (cronie's
MIN_STAR/HR_STAR flags; `@hourly` counts as `*` in the hour, the other macros are fixed).

- Clocks go forward (a gap): a fixed-time job whose time falls in the skipped interval runs
  once, at the first minute after the gap (03:00 when 02:00-02:59 is skipped).
- Clocks go back (a repeated interval): a fixed-time job runs once, on the first occurrence of
  its time; the repeat runs only the wildcard jobs.
- Wildcard jobs (`*/30 1 * * *`, `15 * * * *`, `@hourly`) follow the wall clock: nothing for
  skipped times, and both occurrences of a repeated time, since they mean "every so often".
- Changes of three hours or more are corrections, not daylight saving: the new time holds at
  once (skipped times do not fire, repeated ones fire again).

cronie applies the rule to its own zone and says CRON_TZ jobs may be missed or run twice; here
the rule is applied in the expression's own zone, as if cron ran there.

Temporal evaluates a zone's calendars by wall clock and skips a time in a gap, which is the
wildcard rule already. What the fixed-time rule needs beyond that is done in two places:

- gaps: `gap_end_calendars` adds calendars (in the zone, with their years) that fire at the end
  of each gap in which the expression has a time, up to Temporal's last calendar year, so
  Temporal itself computes and shows these fires;
- repeats: west of Greenwich Temporal fires both occurrences of a repeated wall time, and no
  calendar (nor skip calendar) evaluated in the zone can tell the two apart, so the schedule's
  action (`FnFScheduledStart`) starts no execution for the second: `repeats_fixed_time`.

Known difference: east of Greenwich (Europe, Africa, Asia, Australia) Temporal fires a repeated
wall time only at its second occurrence (`temporal_fires_first`), so a fixed-time job fires once
but an hour after cronie would, and a wildcard job misses the first pass of the repeated hour
(and may fire once more, at a time it does not name). Exact behaviour there needs the
expression compiled to UTC calendars per offset period, which is not done here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped, unused-ignore]
from temporalio.client import ScheduleCalendarSpec, ScheduleRange

ZONE_PREFIX = re.compile(r"(?:CRON_TZ|TZ)=(\S*)\s+(.*)", re.DOTALL)
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
DST_LIMIT = timedelta(hours=3)
"""cronie's line between a daylight-saving change and a clock correction."""
LAST_CALENDAR_YEAR = 2100
"""Temporal's calendars match years 2000-2100; the gap corrections are made up to the end."""
SCAN_STEP = timedelta(hours=12)
"""Transitions are looked for this far apart; no zone changes its offset twice in 12 hours."""


def split_zone(expression: str) -> tuple[str | None, str]:
    """The `CRON_TZ=`/`TZ=` zone (None for UTC) and the rest of the expression."""
    text = expression.strip()
    prefixed = ZONE_PREFIX.fullmatch(text)
    if prefixed:
        return prefixed.group(1), prefixed.group(2).strip()
    return None, text


def time_fields(text: str) -> list[str] | None:
    """The five cron fields of an expression (macros expanded, a seconds field dropped), or
    None for `@every` and anything else that is not a calendar."""
    fields = MACROS.get(text.lower(), text).split()
    if len(fields) == 6:
        fields = fields[1:]
    return fields if len(fields) == 5 else None


def is_fixed_time(fields: Sequence[str]) -> bool:
    """cronie's fixed-time job: neither the minute nor the hour field starts with `*`."""
    return not fields[0].startswith("*") and not fields[1].startswith("*")


@lru_cache(maxsize=64)
def transitions(zone_name: str) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """The zone's offset changes from 2000 to the end of LAST_CALENDAR_YEAR: (instant in UTC,
    offset before, offset after), found by scanning and bisecting to the second."""
    zone = ZoneInfo(zone_name)
    found: list[tuple[datetime, timedelta, timedelta]] = []
    moment = datetime(2000, 1, 1, tzinfo=UTC)
    end = datetime(LAST_CALENDAR_YEAR + 1, 1, 2, tzinfo=UTC)
    offset = _offset(zone, moment)
    while moment < end:
        following = moment + SCAN_STEP
        after = _offset(zone, following)
        if after != offset:
            found.append((_bisect(zone, moment, following, offset), offset, after))
            offset = after
        moment = following
    return tuple(found)


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


def _bisect(zone: ZoneInfo, low: datetime, high: datetime, before: timedelta) -> datetime:
    """The first second in (low, high] whose offset is no longer `before`."""
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _offset(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


def _in_ranges(value: int, ranges: Sequence[ScheduleRange]) -> bool:
    """Temporal's reading of a range: end below start means start alone, step 0 means 1."""
    for item in ranges:
        end = max(item.end, item.start)
        if item.start <= value <= end and (value - item.start) % (item.step or 1) == 0:
            return True
    return False


def matches(calendar: ScheduleCalendarSpec, wall: datetime) -> bool:
    """Whether a calendar matches a wall-clock time (naive), as Temporal's matcher does."""
    return (
        (not calendar.year or _in_ranges(wall.year, calendar.year))
        and _in_ranges(wall.month, calendar.month)
        and _in_ranges(wall.day, calendar.day_of_month)
        and _in_ranges((wall.weekday() + 1) % 7, calendar.day_of_week)
        and _in_ranges(wall.hour, calendar.hour)
        and _in_ranges(wall.minute, calendar.minute)
        and _in_ranges(wall.second, calendar.second)
    )


def _walls(start: datetime, end: datetime, second: int) -> Iterator[datetime]:
    """Each wall time in [start, end) at `second` past a minute."""
    wall = start.replace(second=second, microsecond=0)
    if wall < start:
        wall += timedelta(minutes=1)
    while wall < end:
        yield wall
        wall += timedelta(minutes=1)


def gap_end_calendars(
    zone_name: str,
    calendars: Sequence[ScheduleCalendarSpec],
    second: int,
    now: datetime,
    comment: str,
) -> list[ScheduleCalendarSpec]:
    """Calendars (in the zone) for the fires a fixed-time expression owes at the end of each
    daylight-saving gap after `now`: one fire, at `second` past the first minute after the gap,
    for each gap in which one of the calendars has a time. Fires on the same date of the year
    share one calendar with a list of years."""
    years_by_moment: dict[tuple[int, int, int, int], list[int]] = defaultdict(list)
    for instant, before, after in transitions(zone_name):
        shift = after - before
        if instant <= now or not timedelta(0) < shift < DST_LIMIT:
            continue
        start = (instant + before).replace(tzinfo=None)
        end = (instant + after).replace(tzinfo=None)
        if any(matches(cal, wall) for wall in _walls(start, end, second) for cal in calendars):
            fire = end if end.second == 0 else end.replace(second=0) + timedelta(minutes=1)
            years_by_moment[(fire.month, fire.day, fire.hour, fire.minute)].append(fire.year)
    return [
        ScheduleCalendarSpec(
            second=(ScheduleRange(second, second, 1),),
            minute=(ScheduleRange(minute, minute, 1),),
            hour=(ScheduleRange(hour, hour, 1),),
            day_of_month=(ScheduleRange(day, day, 1),),
            month=(ScheduleRange(month, month, 1),),
            year=tuple(ScheduleRange(year, year, 1) for year in sorted(years)),
            day_of_week=(ScheduleRange(0, 6, 1),),
            comment=f"{comment} (first minute after a daylight-saving gap)",
        )
        for (month, day, hour, minute), years in sorted(years_by_moment.items())
    ]


def repeats_fixed_time(expression: str, fired_at: datetime) -> bool:
    """Whether a fire of `expression` at `fired_at` is the second occurrence of a repeated wall
    time of a fixed-time expression, which cronie's rule does not run (the first ran)."""
    zone_name, text = split_zone(expression)
    fields = time_fields(text)
    if not zone_name or fields is None or not is_fixed_time(fields):
        return False
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    wall = fired_at.astimezone(zone)
    if not wall.fold or not _names(text, fields, wall):
        return False
    first = wall.replace(fold=0)
    shift = (first.utcoffset() or timedelta(0)) - (wall.utcoffset() or timedelta(0))
    return timedelta(0) < shift < DST_LIMIT and temporal_fires_first(zone, first)


def _names(text: str, fields: Sequence[str], wall: datetime) -> bool:
    """Whether the expression names this wall time (a manual trigger's time usually is not
    one, and is never dropped)."""
    written = MACROS.get(text.lower(), text).split()
    second = int(written[0]) if len(written) == 6 and written[0].isdigit() else 0
    naive = wall.replace(tzinfo=None)
    return wall.second == second and bool(croniter.match(" ".join(fields), naive))


def temporal_fires_first(zone: ZoneInfo, first: datetime) -> bool:
    """Whether Temporal's calendar also fires the first occurrence of a repeated wall time.

    Temporal (server 1.32, service/worker/scheduler/calendar.go) turns a wall time into an
    instant with Go's `time.Date`, which looks the offset up at the instant that reads like the
    wall time in UTC. West of Greenwich that instant is before the change, so it picks the first
    occurrence and adds the second itself (its "dst repeated hour" step): both fire. East of
    Greenwich (Europe, Africa, Asia, Australia) it is after the change, so only the second
    occurrence fires. Only where both fire is the second one dropped; elsewhere it is the one
    fire of that time, an hour after cronie's."""
    probe = first.replace(tzinfo=None).replace(tzinfo=UTC).astimezone(zone)
    return probe.utcoffset() == first.utcoffset()
