"""Schedules: CreateSchedule, DescribeSchedule, UpdateSchedule, DeleteSchedule, ListSchedules.

An FnF schedule is a Temporal Schedule, so it is seen, paused and triggered with Temporal's own
tools (the UI, `temporal schedule list`) and fires with no process of ours awake but the worker
that serves its action. Its id is `fnf-schedule:<flow>:<schedule>`: `:` occurs in no flow or
schedule name (translator/names.py), so the id is unambiguous and a flow's schedules share
the prefix `fnf-schedule:<flow>:`, which is what ListSchedules asks Temporal for.

Where FnF's fields live, so that every read answers from Temporal alone:

- CronExpression, Description, Payload (the text as given), ScheduleId (a UUID made at creation),
  CreatedTime and LastModifiedTime are the memo of the schedule's action (key `fnf-schedule`).
  The action is replaced by every UpdateSchedule, so these can change; the schedule's own memo
  could not (Temporal fixes it at creation).
- Enable is the schedule's paused state (Enable=false pauses it, with a note saying why).
- The Payload's value is also the action's argument (`ScheduledFire`), the executions' input.

Each fire starts `FnFScheduledStart` (api/services/scheduled_start.py) on `starter_queue`, which
starts the FnF execution with the flow's definition as it is at that moment.

Overlap policy is ALLOW_ALL: FnF starts every scheduled execution whether or not earlier ones
still run. Fires missed while the server was down are dropped after CATCHUP_WINDOW rather than
replayed, as a timer service would.

CronExpression forms (time zone UTC unless `CRON_TZ=<zone> ` leads the expression):

- `@every <duration>`: Go-style durations of h, m and s (`5m`, `90m`, `1h30m`, `1.5h`), at
  least 1 minute, FnF's minimum. Becomes a Temporal interval whose phase is the moment the
  expression was set, so the first fire is one interval later, as on FnF.
- 5 fields (`minute hour day-of-month month day-of-week`) or 6 with a leading seconds field as
  Alibaba's timers write them (`0 0/5 * * * *`); `?` in either day field; month and weekday
  names; `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` (and `@midnight`, `@annually`).
  The seconds field must be one number: a schedule fires at most once a minute.

Cron expressions are checked with croniter and compiled here into Temporal calendar specs
rather than handed to Temporal as cron strings, because Temporal reads a 6-field string as
`minute ... day-of-week year` (so `0 0/5 * * * *` would silently mean every five hours), refuses
`?`, and has no day-of-month OR day-of-week rule; when both day fields are restricted, cron fires
on either, which is two calendars here. Each calendar's comment is the expression as given.

With a zone that has daylight saving, a *fixed-time* expression (neither minute nor hour field
starting with `*`) follows cronie's rule: a time skipped when clocks go forward fires once at
the first minute after the gap (extra calendars, see api/services/schedule_dst.py), and a time
repeated when they go back fires once, on its first occurrence (the action starts no execution
for the second). Wildcard expressions follow the wall clock, as Temporal evaluates them.
"""

from __future__ import annotations

import asyncio
import calendar
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped, unused-ignore]
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from api.services.failures import ServiceError, flow_not_exists, invalid_argument
from api.services.page_tokens import (
    decode_page_token,
    encode_page_token,
    fetch_first_page,
    list_scope,
)
from api.services.schedule_dst import (
    MACROS,
    gap_end_calendars,
    is_fixed_time,
    split_zone,
    time_fields,
)
from api.services.scheduled_start import SCHEDULE_MEMO_KEY, FnFScheduledStart, ScheduledFire
from api.store.flows import FlowNotFound, FlowStore
from api.visibility import schedule_listed, until_visible
from translator.json_values import JsonValueError, parse_json_value
from translator.names import FLOW, SCHEDULE
from worker.interpreter.events import format_time
from worker.visibility_query import starts_with

SCHEDULE_ID_PREFIX = "fnf-schedule:"
MEMO_KEY = SCHEDULE_MEMO_KEY
PAUSED_NOTE = "Disabled through the FnF API (Enable=false)"
CATCHUP_WINDOW = timedelta(minutes=1)
DESCRIBE_CONCURRENCY = 16
"""ListSchedules describes the page's schedules (the list entries carry no action memo) this many
at a time."""

ANSWER_FIELDS = (
    "ScheduleId",
    "ScheduleName",
    "CronExpression",
    "Description",
    "Payload",
    "Enable",
    "CreatedTime",
    "LastModifiedTime",
)


def schedule_id(flow: str, schedule: str) -> str:
    return f"{schedule_id_prefix(flow)}{SCHEDULE.check(schedule)}"


def schedule_id_prefix(flow: str) -> str:
    """What every schedule id of `flow` starts with, and no other flow's does."""
    return f"{SCHEDULE_ID_PREFIX}{FLOW.check(flow)}:"


def schedule_not_exists(flow: str, schedule: str) -> ServiceError:
    return ServiceError(
        "ScheduleNotExists", f"The schedule {schedule} for flow {flow} does not exist."
    )


def schedule_already_exists(flow: str, schedule: str) -> ServiceError:
    return ServiceError(
        "ScheduleAlreadyExists", f"The schedule {schedule} already exists in flow {flow}."
    )


def invalid_cron(expression: str, why: str) -> ServiceError:
    return invalid_argument(f"CronExpression '{expression}' is invalid: {why}")


def fire_summary(flow: str, name: str) -> str:
    """What each fire's FnFScheduledStart workflow says in the Temporal UI and `temporal
    workflow describe` (a schedule action's static summary is copied to the runs it starts):
    like every internal workflow, `internal: ...`, and which flow it starts."""
    return f"internal: fire of FnF schedule {name} of flow {flow}, starting one execution"


def fire_details(flow: str, name: str) -> str:
    return (
        f"Starts one execution of FnF flow **{flow}** (named `scheduled-exec-...`) with the "
        f"Payload of schedule **{name}**: `fnf schedule describe {flow} {name}`."
    )


@dataclass
class ScheduleService:
    client: Client
    store: FlowStore
    starter_queue: str

    async def create(
        self,
        *,
        flow: str,
        name: str,
        cron: str,
        description: str = "",
        payload: str = "{}",
        enable: bool = True,
    ) -> dict[str, Any]:
        """CreateSchedule: arguments are checked before the flow, so a bad request costs no
        round trip."""
        now = datetime.now(UTC)
        spec = schedule_spec(cron, now)
        fire = ScheduledFire(flow, parse_payload(payload))
        await self._flow_exists(flow)
        stamp = format_time(now)
        record = {
            "ScheduleId": str(uuid.uuid4()),
            "ScheduleName": name,
            "FlowName": flow,
            "CronExpression": cron,
            "Description": description,
            "Payload": payload,
            "CreatedTime": stamp,
            "LastModifiedTime": stamp,
        }
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                FnFScheduledStart.run,
                fire,
                id=schedule_id(flow, name),
                task_queue=self.starter_queue,
                memo={MEMO_KEY: record},
                static_summary=fire_summary(flow, name),
                static_details=fire_details(flow, name),
            ),
            spec=spec,
            policy=SchedulePolicy(
                overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=CATCHUP_WINDOW
            ),
            state=ScheduleState(paused=not enable, note=None if enable else PAUSED_NOTE),
        )
        try:
            await self.client.create_schedule(schedule_id(flow, name), schedule)
        except ScheduleAlreadyRunningError:
            raise schedule_already_exists(flow, name) from None
        except RPCError as error:
            raise _refused(error, cron) from None
        await until_visible(
            lambda: schedule_listed(self.client, schedule_id(flow, name)),
            f"schedule {name} of flow {flow} in ListSchedules",
        )
        return _answer(record, enable)

    async def describe(self, *, flow: str, name: str) -> dict[str, Any]:
        description = await self._describe(flow, name)
        record = await self._record(description)
        if record is None:
            raise schedule_not_exists(flow, name)
        return _answer(record, not description.schedule.state.paused)

    async def update(
        self,
        *,
        flow: str,
        name: str,
        cron: str | None = None,
        description: str | None = None,
        payload: str | None = None,
        enable: bool | None = None,
    ) -> dict[str, Any]:
        """UpdateSchedule: only the given fields change; one atomic Temporal update (guarded by
        Temporal's conflict token) replaces spec, action and paused state together."""
        now = datetime.now(UTC)
        spec = schedule_spec(cron, now) if cron is not None else None
        fire = ScheduledFire(flow, parse_payload(payload)) if payload is not None else None
        answer: dict[str, Any] = {}

        async def change(update_input: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule = update_input.description.schedule
            action = schedule.action
            record = await self._record(update_input.description)
            if record is None or not isinstance(action, ScheduleActionStartWorkflow):
                raise schedule_not_exists(flow, name)
            record["LastModifiedTime"] = format_time(now)
            if cron is not None and spec is not None:
                record["CronExpression"] = cron
                schedule.spec = spec
            if description is not None:
                record["Description"] = description
            if payload is not None and fire is not None:
                record["Payload"] = payload
                action.args = [fire]
            action.memo = {MEMO_KEY: record}
            # Set both, for schedules made before them too: an update otherwise sends the
            # details it read back as an empty payload, which no SDK can decode.
            action.static_summary = fire_summary(flow, name)
            action.static_details = fire_details(flow, name)
            if enable is not None:
                schedule.state.paused = not enable
                schedule.state.note = None if enable else PAUSED_NOTE
            answer.update(_answer(record, not schedule.state.paused))
            return ScheduleUpdate(schedule)

        handle = self.client.get_schedule_handle(schedule_id(flow, name))
        try:
            await handle.update(change)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                await self._flow_exists(flow)
                raise schedule_not_exists(flow, name) from None
            raise _refused(error, cron or "") from None
        return answer

    async def delete(self, *, flow: str, name: str) -> None:
        """DeleteSchedule. The schedule of a flow deleted meanwhile can still be deleted."""
        try:
            await self.client.get_schedule_handle(schedule_id(flow, name)).delete()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            await self._flow_exists(flow)
            raise schedule_not_exists(flow, name) from None

    async def list(self, *, flow: str, limit: int, next_token: str | None) -> dict[str, Any]:
        """ListSchedules: one page of Temporal's schedule list for the flow's id prefix; the
        NextToken is Temporal's page token, opaque to the caller. Visibility lags a write by
        a moment; CreateSchedule waits for it, and a schedule deleted meanwhile is left out
        (each listed schedule is described)."""
        await self._flow_exists(flow)
        prefix = schedule_id_prefix(flow)
        query = starts_with("ScheduleId", prefix)
        scope = list_scope(self.client.namespace, query)
        token = decode_page_token(next_token, scope)
        iterator = await self.client.list_schedules(query, page_size=limit, next_page_token=token)
        await fetch_first_page(iterator, limit, next_token)
        ids = [entry.id for entry in iterator.current_page or [] if entry.id.startswith(prefix)]
        gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)

        async def read(found: str) -> dict[str, Any] | None:
            async with gate:
                try:
                    return await self.describe(flow=flow, name=found[len(prefix) :])
                except ServiceError:
                    return None  # deleted since the list was made

        records = await asyncio.gather(*(read(found) for found in ids))
        body: dict[str, Any] = {"Schedules": [record for record in records if record]}
        following = iterator.next_page_token
        if following:
            body["NextToken"] = encode_page_token(following, scope)
        return body

    async def delete_all(self, flow: str) -> int:
        """Delete every schedule of a flow (for DeleteFlow); returns how many were deleted."""
        prefix = schedule_id_prefix(flow)
        deleted = 0
        async for entry in await self.client.list_schedules(starts_with("ScheduleId", prefix)):
            if not entry.id.startswith(prefix):
                continue
            try:
                await self.client.get_schedule_handle(entry.id).delete()
                deleted += 1
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
        return deleted

    async def _describe(self, flow: str, name: str) -> ScheduleDescription:
        try:
            return await self.client.get_schedule_handle(schedule_id(flow, name)).describe()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            await self._flow_exists(flow)
            raise schedule_not_exists(flow, name) from None

    async def _record(self, description: ScheduleDescription) -> dict[str, Any] | None:
        """The FnF fields from the action's memo; None for a schedule not made by this API."""
        action = description.schedule.action
        if not isinstance(action, ScheduleActionStartWorkflow) or not action.memo:
            return None
        stored = action.memo.get(MEMO_KEY)
        if stored is None:
            return None
        [record] = await self.client.data_converter.decode([stored], [dict])
        return dict(record) if isinstance(record, dict) else None

    async def _flow_exists(self, flow: str) -> None:
        try:
            await self.store.describe(flow)
        except FlowNotFound:
            raise flow_not_exists(flow) from None


def _answer(record: dict[str, Any], enable: bool) -> dict[str, Any]:
    full = {**record, "Enable": enable}
    return {key: full.get(key, "") for key in ANSWER_FIELDS}


def _refused(error: RPCError, cron: str) -> Exception:
    """Temporal's INVALID_ARGUMENT as FnF's; the spec is checked here first, so a spec the
    server still refuses (an unusual time zone) is rare."""
    if error.status != RPCStatusCode.INVALID_ARGUMENT:
        return error
    if cron and "spec" in error.message.lower():
        return invalid_cron(cron, error.message)
    return invalid_argument(error.message)


def parse_payload(text: str) -> dict[str, Any]:
    """The Payload, a JSON object as text (empty means `{}`) that passes the one check of a
    value entering an execution (translator/json_values.py); InvalidArgument says what is
    wrong and where."""
    if not text.strip():
        return {}
    try:
        value = parse_json_value(text, "Payload")
    except JsonValueError as error:
        raise invalid_argument(str(error)) from None
    if not isinstance(value, dict):
        raise invalid_argument(f"Payload must be a JSON object, not {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "null"


# --- CronExpression to Temporal ------------------------------------------------------------

MINIMUM_INTERVAL_SECONDS = 60
MAXIMUM_INTERVAL_SECONDS = (2**63 - 1) // 10**9
"""The longest `@every` interval: Temporal Server holds a schedule's interval as a Go
time.Duration (int64 nanoseconds, about 292 years), as Go's time.ParseDuration, which reads
`@every` in Go cron libraries, does. Longer ones used to overflow Python's timedelta (500)."""
UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}
FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
BOUNDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (0, 6),
}
EVERY = re.compile(r"@every\s+(\S+)")
DURATION = re.compile(r"(?:(?:\d+(?:\.\d+)?|\.\d+)[hms])+")
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)([hms])")
FIELD_CHARACTERS = re.compile(r"[0-9A-Za-z*,/?-]+")
NUMERIC_RANGE = re.compile(r"(\d+)-(\d+)(?:/\d+)?")


class CronError(ValueError):
    """Why an expression is refused: the text after "is invalid: "."""


def schedule_spec(expression: str, now: datetime | None = None) -> ScheduleSpec:
    """Temporal's spec for an FnF CronExpression, or ServiceError InvalidArgument saying why
    not. `now` is when the expression is set (the phase of an `@every` interval)."""
    try:
        return _compile(expression, now or datetime.now(UTC))
    except CronError as error:
        raise invalid_cron(expression, str(error)) from None


def _compile(expression: str, now: datetime) -> ScheduleSpec:
    if not expression.strip():
        raise CronError("it is empty")
    zone, text = split_zone(expression)
    if zone is not None:
        _check_zone(zone)
    if text.startswith("@every"):
        return ScheduleSpec(intervals=[_interval(text, now)], time_zone_name=zone)
    if text.startswith("@"):
        macro = MACROS.get(text.lower())
        if macro is None:
            raise CronError(
                f"unknown macro '{text}': use @every <duration>, @hourly, @daily, @weekly, "
                "@monthly or @yearly"
            )
        text = macro
    calendars = _calendars(text, expression.strip())
    fields = time_fields(text)
    if zone and fields is not None and is_fixed_time(fields):
        second = calendars[0].second[0].start
        calendars += gap_end_calendars(zone, calendars, second, now, expression.strip())
    return ScheduleSpec(calendars=calendars, time_zone_name=zone)


def _check_zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone '{zone}'") from None


def _interval(text: str, now: datetime) -> ScheduleIntervalSpec:
    match = EVERY.fullmatch(text)
    if match is None:
        raise CronError("write @every and a duration, such as @every 5m or @every 1h30m")
    duration = match.group(1)
    if not DURATION.fullmatch(duration):
        raise CronError(
            f"'{duration}' is not a duration: use numbers with the units h, m and s, "
            "such as 5m, 90m or 1h30m"
        )
    seconds = sum(
        (Decimal(number) * UNIT_SECONDS[unit] for number, unit in DURATION_PART.findall(duration)),
        Decimal(0),
    )
    if seconds < MINIMUM_INTERVAL_SECONDS:
        raise CronError(f"the interval {duration} is shorter than the minimum of 1 minute")
    if seconds > MAXIMUM_INTERVAL_SECONDS:
        raise CronError(
            f"the interval {duration} is longer than the maximum of "
            f"{MAXIMUM_INTERVAL_SECONDS}s (about 292 years)"
        )
    if seconds != seconds.to_integral_value():
        raise CronError(f"the interval {duration} is not a whole number of seconds")
    every = int(seconds)
    phase = int(now.timestamp()) % every
    return ScheduleIntervalSpec(every=timedelta(seconds=every), offset=timedelta(seconds=phase))


def _calendars(text: str, comment: str) -> list[ScheduleCalendarSpec]:
    fields = text.split()
    if len(fields) == 5:
        second, rest = "0", fields
    elif len(fields) == 6:
        second, rest = fields[0], fields[1:]
    else:
        raise CronError(
            f"it has {len(fields)} fields: use 5 (minute hour day-of-month month day-of-week) "
            "or 6 (a seconds field first)"
        )
    if not second.isdigit() or int(second) > 59:
        raise CronError(
            f"the seconds field '{second}' must be one number from 0 to 59: a schedule fires "
            "at most once a minute"
        )
    for name, value in zip(FIELDS, rest, strict=True):
        _check_field(name, value)
    minute, hour, day, month, weekday = _expand(rest)
    if day != ["*"] and weekday == ["*"]:
        _check_reachable(day, month)

    def calendar_of(days: list[Any], weekdays: list[Any]) -> ScheduleCalendarSpec:
        return ScheduleCalendarSpec(
            second=_ranges([int(second)], "second"),
            minute=_ranges(minute, "minute"),
            hour=_ranges(hour, "hour"),
            day_of_month=_ranges(days, "day-of-month"),
            month=_ranges(month, "month"),
            day_of_week=_ranges(weekdays, "day-of-week"),
            comment=comment,
        )

    if day != ["*"] and weekday != ["*"]:
        # cron fires when either day field matches; a Temporal calendar needs both to match
        return [calendar_of(day, ["*"]), calendar_of(["*"], weekday)]
    return [calendar_of(day, weekday)]


def _check_field(name: str, value: str) -> None:
    """What croniter accepts beyond FnF's syntax (L, W, #, H, wrapping ranges) is refused."""
    if not FIELD_CHARACTERS.fullmatch(value):
        bad = next(c for c in value if not FIELD_CHARACTERS.fullmatch(c))
        raise CronError(
            f"the {name} field '{value}' has '{bad}': use numbers, names, and * , - / ?"
        )
    if "?" in value:
        if name not in ("day-of-month", "day-of-week"):
            raise CronError(f"'?' in the {name} field: it is only for the two day fields")
        if value != "?":
            raise CronError(f"the {name} field '{value}': '?' must stand alone")
    letters = [c for c in value if c.isalpha()]
    if letters and name == "day-of-month":
        raise CronError(
            f"the day-of-month field '{value}' has '{letters[0]}': L, W and other letters are "
            "not supported"
        )
    if letters and name not in ("month", "day-of-week"):
        raise CronError(
            f"the {name} field '{value}' has '{letters[0]}': names are only for months and "
            "days of the week"
        )
    if name == "day-of-week" and "l" in value.lower():
        raise CronError(f"the day-of-week field '{value}': L (last weekday) is not supported")
    for part in value.split(","):
        bounds = NUMERIC_RANGE.fullmatch(part)
        if bounds and int(bounds.group(1)) > int(bounds.group(2)):
            raise CronError(f"the {name} field's range {part} runs backwards")


def _expand(fields: list[str]) -> list[list[Any]]:
    """croniter's reading of the five fields: lists of numbers, or ['*']."""
    try:
        expanded, _ = croniter.expand(" ".join(fields))
    except (ValueError, TypeError, KeyError):
        raise CronError(_field_error(fields)) from None
    return [list(values) for values in expanded]


def _field_error(fields: list[str]) -> str:
    """Which field croniter refuses, found by expanding each field alone."""
    for index, name in enumerate(FIELDS):
        probe = ["*"] * len(FIELDS)
        probe[index] = fields[index]
        try:
            croniter.expand(" ".join(probe))
        except (ValueError, TypeError, KeyError) as error:
            reason = re.sub(r"^\[[^\]]*\]\s*", "", str(error))
            reason = reason.removeprefix("is not acceptable").strip(" ,") or "not acceptable"
            if reason == "not acceptable" and any(c.isalpha() for c in fields[index]):
                reason = "unknown name"
            return f"the {name} field '{fields[index]}' is not valid ({reason})"
    return "the fields do not fit together"


def _check_reachable(days: list[Any], months: list[Any]) -> None:
    """`0 0 31 2 *` passes every field check yet never fires; say so rather than accept it."""
    in_months = range(1, 13) if months == ["*"] else [int(m) for m in months]
    longest = max(calendar.monthrange(2024, month)[1] for month in in_months)  # a leap year
    first = min(int(day) for day in days)
    if first > longest:
        raise CronError(f"it never fires: no month in the month field has a day {first}")


def _ranges(values: list[Any], name: str) -> tuple[ScheduleRange, ...]:
    """Temporal ranges for croniter's values: runs with one step become one range."""
    low, high = BOUNDS[name]
    if values == ["*"]:
        return (ScheduleRange(low, high, 1),)
    numbers = sorted({int(value) % 7 if name == "day-of-week" else int(value) for value in values})
    ranges: list[ScheduleRange] = []
    start = 0
    while start < len(numbers):
        end, step = start, 1
        if start + 1 < len(numbers):
            step = numbers[start + 1] - numbers[start]
            while end + 1 < len(numbers) and numbers[end + 1] - numbers[end] == step:
                end += 1
            if end - start < 2 and step != 1:
                end = start  # two numbers a step apart read better as two values
        if end > start:
            ranges.append(ScheduleRange(numbers[start], numbers[end], step))
        else:
            ranges.append(ScheduleRange(numbers[start], numbers[start], 1))
        start = end + 1
    return tuple(ranges)
