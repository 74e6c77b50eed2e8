"""Every CronExpression either compiles to a Temporal spec whose numbers Temporal can hold, or is
refused with InvalidArgument; no number in it, however large, escapes as another error (an
`@every 99999999999h` used to overflow timedelta and answer 500). No server: the spec is checked
the way the Temporal client would convert it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from api.services.failures import ServiceError
from api.services.schedules import schedule_spec

GO_DURATION_MAX = timedelta(microseconds=(2**63 - 1) // 1000)
"""Temporal Server keeps intervals as Go time.Duration (int64 nanoseconds)."""
INT32_MAX = 2**31 - 1
"""Temporal's calendar ranges are int32 fields."""
NOW = datetime(2026, 1, 1, tzinfo=UTC)

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**40).map(str),
    st.decimals(min_value=0, max_value=10**15, places=3, allow_nan=False).map(str),
)
intervals = st.lists(st.tuples(numbers, st.sampled_from("hms")), min_size=1, max_size=3).map(
    lambda parts: "@every " + "".join(number + unit for number, unit in parts)
)
field = st.one_of(
    st.just("*"),
    numbers,
    st.builds(lambda a, b: f"{a}-{b}", numbers, numbers),
    st.builds(lambda a, b: f"{a}/{b}", st.sampled_from(["*", "0", "1-5"]), numbers),
)
crons = st.lists(field, min_size=5, max_size=6).map(" ".join)


def accepted_or_refused(expression: str) -> None:
    try:
        spec = schedule_spec(expression, NOW)
    except ServiceError as error:
        assert error.code == "InvalidArgument", error.message
        return
    for interval in spec.intervals:
        assert timedelta(minutes=1) <= interval.every <= GO_DURATION_MAX
        assert timedelta(0) <= interval.offset < interval.every
    for calendar in spec.calendars:
        for ranges in (calendar.second, calendar.minute, calendar.hour):
            for part in ranges:
                assert 0 <= part.start <= part.end <= INT32_MAX
                assert 0 <= part.step <= INT32_MAX


@settings(max_examples=300, deadline=None)
@given(intervals)
def test_every_intervals(expression: str) -> None:
    accepted_or_refused(expression)


@settings(max_examples=300, deadline=None)
@given(crons)
def test_cron_fields(expression: str) -> None:
    accepted_or_refused(expression)


def test_interval_bounds() -> None:
    accepted_or_refused("@every 99999999999h")
    longest = schedule_spec("@every 2562047h47m16s", NOW).intervals[0].every
    assert longest == timedelta(seconds=9223372036)
    for too_long in ("@every 2562047h47m17s", "@every 99999999999h", "@every 1" + "0" * 30 + "s"):
        try:
            schedule_spec(too_long, NOW)
        except ServiceError as error:
            assert error.code == "InvalidArgument"
            assert "longer than the maximum" in error.message
        else:
            raise AssertionError(f"{too_long} was accepted")
