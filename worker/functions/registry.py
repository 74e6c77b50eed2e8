"""The function registry: which code or endpoint serves each FC function and API action.

A flow names functions by ARN (`acs:fc:::services/fnf-demo.online/functions/provision`); FC keeps
the code. Here a registry file (`functions.yaml`, path from `FNF_FUNCTIONS` or `--functions`) says
what serves each `service[.qualifier]/function`: a Python handler or an HTTP endpoint. Versions and
aliases are just qualified entries (DESIGN decision 11). Lookup is exact, as on FC: an unqualified
entry does not answer a qualified ARN.

A Python entry may name FC's initializer hook, `initializer(context)`, with FC's field names
(`initializer`, `initializationTimeout`: 1 to 300 seconds on FC, default 3). An HTTP endpoint
initializes itself before it answers, so `url` entries refuse both fields.

A function runs on a Temporal task queue: FNF_TASK_QUEUE, the interpreter's, unless the
registry names another for its service (`services:`) or for the function itself (`taskQueue`,
which wins). Workers started with `fnf worker --service NAME` poll only their services' queues,
so a team runs its functions where their code and secrets live. The interpreter reads the same
file to route each task (a `services:` section alone is enough there). A `localActivity`
function runs inside the interpreter's worker, never on a queue, so it may name none.

The file is validated with pydantic when the worker starts, so a typo fails fast with the file
and entry named, instead of as a task failure at 3 a.m. Lookups return frozen dataclasses; a
missing entry is a `FunctionError` with FC's error name, which a flow can retry or catch.

```yaml
functions:
  fnf-demo/StartJob:                      # service/function: the latest version
    handler: functions.py:start_job       # file relative to this registry file, then :callable
    timeout: 60                           # seconds (default 60, as on FC)
  fnf-demo/LoadModel:
    handler: functions.py:predict
    initializer: functions.py:initialize  # run once per instance, before its first call
    initializationTimeout: 10             # seconds the initializer may take (default 3, as on FC)
  fnf-demo.online/provision:              # service.qualifier/function: an alias or a version
    handler: examples.versions.functions:provision   # or an importable module:callable
    concurrency: 10                       # requests one warm instance serves at once
    environment: {STAGE: online}          # extra environment variables of the instance
  fnf-demo/Lookup:
    handler: functions.py:lookup
    timeout: 5
    localActivity: true                   # run as a Temporal local activity (short calls only)
  video-demo/split:
    url: http://127.0.0.1:9000/split      # an HTTP endpoint: the event is POSTed to it
    timeout: 30
    headers: {X-Token: abc}
  payments/Charge:
    handler: payments.py:charge
    taskQueue: payments-fast              # this function's own queue (wins over its service's)
services:                                 # per FC service (every qualifier of it)
  payments:
    taskQueue: payments                   # its functions run on workers polling `payments`
actions:                                  # `action: service:Api` task steps
  ocr:RecognizeIdentityCard:
    url: http://127.0.0.1:9100/ocr
```
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from translator import names
from translator.resources import Resource, ResourceError, parse_action, parse_resource_arn
from translator.text_files import read_text
from translator.yaml_nesting import UniqueKeyLoader

from .errors import FC_FUNCTION_NOT_FOUND, FC_SERVICE_NOT_FOUND, FunctionError, RegistryError

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 86400.0
DEFAULT_INITIALIZATION_TIMEOUT = 3.0
"""FC's default `initializationTimeout` (ROS ALIYUN::FC::Function: 1 to 300 seconds, default 3)."""
MAX_INITIALIZATION_TIMEOUT = 300.0
LOCAL_ACTIVITY_MAX_TIMEOUT = 10.0
"""The longest `timeout` of a `localActivity` entry: Temporal's default workflow task timeout.
A local activity runs while its execution's workflow task is open and cannot heartbeat, so
while it runs the execution answers no signal, update or query, and a lost worker is noticed
only when that workflow task times out; Temporal documents local activities for short calls."""
_LISTED = 20
LOCAL_ACTIVITY_QUEUE = (
    "'localActivity' and 'taskQueue' exclude each other: a local activity runs inside the "
    "interpreter's worker (the one running the execution), never on a task queue"
)

_ATTRIBUTE = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_HANDLER = re.compile(rf"(?P<target>[^:]+):(?P<attribute>{_ATTRIBUTE})")
_MODULE = re.compile(_ATTRIBUTE)


# ---------------------------------------------------------------------------------------------
# What a lookup returns


@dataclass(frozen=True, slots=True)
class PythonInitializer:
    """FC's initializer hook: `initializer(context)`, run once per instance before any call.

    FC runs it after an instance starts and before the instance serves its first request; a
    failed or timed-out initializer fails that request, and the next request gets a fresh
    instance that runs it again (FC "Instance lifecycle hooks", Initializer hook).
    """

    handler: str
    """As written in the registry (FC's `context.function.initializer`)."""
    module_file: Path | None
    module: str | None
    attribute: str
    timeout: float = DEFAULT_INITIALIZATION_TIMEOUT
    """FC's `initializationTimeout`: seconds the initializer may run, apart from `timeout`."""


@dataclass(frozen=True, slots=True)
class PythonFunction:
    """An FC-style `handler(event, context)`, run in a warm child process."""

    key: str
    service: str
    qualifier: str | None
    function: str
    handler: str
    """As written in the registry (FC's `context.function.handler`)."""
    module_file: Path | None
    """Absolute path of a `file.py:callable` handler's file."""
    module: str | None
    """Dotted module of a `package.module:callable` handler."""
    attribute: str
    base_dir: Path
    """The registry file's folder: handler files resolve here and it joins the import path."""
    timeout: float = DEFAULT_TIMEOUT
    concurrency: int | None = None
    """Requests one instance serves at once; None = the runtime's default."""
    environment: Mapping[str, str] = field(default_factory=dict)
    initializer: PythonInitializer | None = None
    local_activity: bool = False
    """Task steps call it as a Temporal local activity (registry `localActivity`)."""
    task_queue: str | None = None
    """The Temporal task queue its calls run on (registry `taskQueue`, its own or its
    service's); None: the interpreter's queue (FNF_TASK_QUEUE)."""


@dataclass(frozen=True, slots=True)
class HttpFunction:
    """An FC function served by an HTTP endpoint that takes the event as a POST body."""

    key: str
    service: str
    qualifier: str | None
    function: str
    url: str
    timeout: float = DEFAULT_TIMEOUT
    headers: Mapping[str, str] = field(default_factory=dict)
    local_activity: bool = False
    """Task steps call it as a Temporal local activity (registry `localActivity`)."""
    task_queue: str | None = None
    """As PythonFunction.task_queue."""


@dataclass(frozen=True, slots=True)
class HttpAction:
    """An `action: service:Api` integration served by an HTTP endpoint."""

    key: str
    service: str
    action: str
    url: str
    timeout: float = DEFAULT_TIMEOUT
    headers: Mapping[str, str] = field(default_factory=dict)


FunctionTarget = PythonFunction | HttpFunction
Target = PythonFunction | HttpFunction | HttpAction


# ---------------------------------------------------------------------------------------------
# The file's schema


class _FunctionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    handler: str | None = None
    url: str | None = None
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=MAX_TIMEOUT)
    headers: dict[str, str] | None = None
    concurrency: int | None = Field(default=None, ge=1, le=10000)
    environment: dict[str, str] | None = None
    initializer: str | None = None
    initializationTimeout: float | None = Field(default=None, gt=0, le=MAX_INITIALIZATION_TIMEOUT)
    localActivity: bool = False
    taskQueue: str | None = None

    @field_validator("taskQueue")
    @classmethod
    def _queue_form(cls, value: str | None) -> str | None:
        return None if value is None else _check_queue(value)

    @field_validator("handler", "initializer")
    @classmethod
    def _callable_form(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_callable(info.field_name or "handler", value)

    @field_validator("url")
    @classmethod
    def _url_form(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @model_validator(mode="after")
    def _one_kind(self) -> _FunctionEntry:
        if (self.handler is None) == (self.url is None):
            raise ValueError(
                "give either 'handler' (a Python function) or 'url' (an HTTP endpoint)"
                + (", not both" if self.handler is not None else "")
            )
        if self.url is not None and (self.concurrency is not None or self.environment):
            raise ValueError("'concurrency' and 'environment' apply to 'handler' entries only")
        if self.handler is not None and self.headers:
            raise ValueError("'headers' apply to 'url' entries only")
        if self.url is not None and (
            self.initializer is not None or self.initializationTimeout is not None
        ):
            raise ValueError(
                "'initializer' and 'initializationTimeout' apply to 'handler' entries only: "
                "an HTTP endpoint initializes itself before it answers"
            )
        if self.initializationTimeout is not None and self.initializer is None:
            raise ValueError("'initializationTimeout' needs an 'initializer'")
        if self.localActivity and self.taskQueue is not None:
            raise ValueError(LOCAL_ACTIVITY_QUEUE)
        if self.localActivity and self.timeout > LOCAL_ACTIVITY_MAX_TIMEOUT:
            raise ValueError(
                f"'localActivity' needs a 'timeout' of at most {LOCAL_ACTIVITY_MAX_TIMEOUT:g} "
                f"seconds (this entry's is {self.timeout:g}"
                + (", the default" if "timeout" not in self.model_fields_set else "")
                + "): a local activity runs inside its execution's workflow task and cannot "
                "heartbeat, so only short calls may use it"
            )
        return self


class _ActionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=MAX_TIMEOUT)
    headers: dict[str, str] | None = None

    @field_validator("url")
    @classmethod
    def _url_form(cls, value: str) -> str:
        return _check_url(value)


class _ServiceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    taskQueue: str

    @field_validator("taskQueue")
    @classmethod
    def _queue_form(cls, value: str) -> str:
        return _check_queue(value)


class _RegistryDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    functions: dict[str, _FunctionEntry] | None = None
    actions: dict[str, _ActionEntry] | None = None
    services: dict[str, _ServiceEntry] | None = None


def _check_queue(value: str) -> str:
    """A Temporal task queue name: not empty, no surrounding blanks, at most 1000 bytes
    (Temporal's limit on names, limit.maxIDLength)."""
    if not value.strip() or value != value.strip() or len(value.encode()) > 1000:
        raise ValueError(
            f"taskQueue {value!r} should be a task queue name: no surrounding blanks, "
            "1 to 1000 bytes"
        )
    return value


def _check_callable(key: str, value: str) -> str:
    """`file.py:callable` or `package.module:callable` (FC's `file.function`, made explicit)."""
    match = _HANDLER.fullmatch(value.strip())
    if not match:
        raise ValueError(
            f"{key} '{value}' should be 'file.py:callable' or 'package.module:callable'"
        )
    target = match["target"]
    if not target.endswith(".py") and not _MODULE.fullmatch(target):
        raise ValueError(
            f"{key} '{value}': '{target}' is neither a .py file nor a dotted module name"
        )
    return value.strip()


def _check_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"url '{value}' should be an http:// or https:// address")
    return value.strip()


# ---------------------------------------------------------------------------------------------
# The registry


class FunctionRegistry:
    """Exact lookup from an FC resource (or API action) to what serves it."""

    def __init__(
        self,
        functions: Mapping[str, FunctionTarget],
        actions: Mapping[str, HttpAction] | None = None,
        *,
        source: str = "<mapping>",
        services: Mapping[str, str] | None = None,
    ) -> None:
        self._functions = dict(functions)
        self._actions = dict(actions or {})
        self._services = dict(services or {})
        """FC service name -> the task queue of its functions (registry `services:`)."""
        self.source = source
        """Where the entries came from (the file path), quoted in lookup errors."""
        problems = self._local_activities_on_queues()
        if problems:
            raise RegistryError(_report(source, problems))

    @classmethod
    def load_all(cls, paths: Iterable[str | Path]) -> FunctionRegistry:
        """Several registries as one: files, and folders of them (registry_files). A key that
        two of them define is a RegistryError naming both, never a silent choice."""
        given = [Path(path).expanduser().resolve() for path in paths]
        merged = cls.merged([cls.load(file) for file in registry_files(given)])
        if len(given) == 1 and given[0].is_dir():
            merged.source = f"{given[0]} (every functions.yaml in it)"
        return merged

    @classmethod
    def merged(cls, registries: Sequence[FunctionRegistry]) -> FunctionRegistry:
        functions: dict[str, FunctionTarget] = {}
        actions: dict[str, HttpAction] = {}
        services: dict[str, str] = {}
        origin: dict[str, str] = {}
        problems: list[str] = []
        for registry in registries:
            for kind, found, into in (
                ("function", registry._functions, functions),
                ("action", registry._actions, actions),
                ("service", registry._services, services),
            ):
                for key, target in found.items():
                    where = origin.setdefault(f"{kind}:{key}", registry.source)
                    if where != registry.source:
                        problems.append(f"{kind} '{key}' is in both {where} and {registry.source}")
                        continue
                    into[key] = target  # type: ignore[assignment]
        if problems:
            lines = "\n".join(f"  {problem}" for problem in problems)
            raise RegistryError(f"conflicting function registries:\n{lines}")
        if len(registries) == 1:
            return registries[0]
        sources = ", ".join(registry.source for registry in registries) or "<none>"
        return cls(functions, actions, source=sources, services=services)

    @classmethod
    def load(cls, path: str | Path) -> FunctionRegistry:
        """Read and validate a registry file (or a folder of them); RegistryError says what is
        wrong and where."""
        file = Path(path).expanduser().resolve()
        if file.is_dir():
            return cls.load_all([file])
        try:
            text = read_text(file)
        except OSError as exc:
            raise RegistryError(
                f"cannot read function registry {file}: {exc.strerror or exc}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise RegistryError(f"function registry {file} is not UTF-8 text: {exc}") from None
        try:
            data = yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise RegistryError(f"function registry {file} is not valid YAML: {exc}") from exc
        except ValueError as exc:  # a value PyYAML's constructors cannot build
            raise RegistryError(f"function registry {file} cannot be read: {exc}") from None
        return cls.from_mapping(data, file.parent, source=str(file))

    @classmethod
    def from_mapping(
        cls, data: Any, base_dir: str | Path | None = None, *, source: str = "<mapping>"
    ) -> FunctionRegistry:
        """Build a registry from the file's content already in memory (tests, embedding).

        `base_dir` is where `file.py:callable` handlers live (default: the working directory).
        """
        base = Path(base_dir if base_dir is not None else Path.cwd()).expanduser().resolve()
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise RegistryError(
                f"invalid function registry {source}: expected a mapping with 'functions' "
                f"and/or 'actions', got {type(data).__name__}"
            )
        try:
            document = _RegistryDocument.model_validate(data)
        except ValidationError as exc:
            problems = [_describe(error) for error in exc.errors()]
            raise RegistryError(_report(source, problems)) from None
        problems = []
        functions: dict[str, FunctionTarget] = {}
        for key, entry in (document.functions or {}).items():
            try:
                functions[key] = _function_target(key, entry, base)
            except ValueError as exc:
                problems.append(f"functions.{_quote(key)}: {exc}")
        actions: dict[str, HttpAction] = {}
        for key, action_entry in (document.actions or {}).items():
            try:
                actions[key] = _action_target(key, action_entry)
            except ValueError as exc:
                problems.append(f"actions.{_quote(key)}: {exc}")
        if problems:
            raise RegistryError(_report(source, problems))
        services = {name: entry.taskQueue for name, entry in (document.services or {}).items()}
        for name in services:
            if not names.FC_SERVICE.is_valid(name):
                problems.append(f"services.{_quote(name)}: {names.FC_SERVICE.explain(name)}")
        if problems:
            raise RegistryError(_report(source, problems))
        return cls(functions, actions, source=source, services=services)

    @property
    def functions(self) -> Mapping[str, FunctionTarget]:
        return dict(self._functions)

    @property
    def actions(self) -> Mapping[str, HttpAction]:
        return dict(self._actions)

    @property
    def services(self) -> Mapping[str, str]:
        """FC service -> task queue, as the `services:` section says."""
        return dict(self._services)

    def task_queue_of(self, resource: Resource) -> str | None:
        """The task queue a call of `resource` runs on: its entry's `taskQueue`, else its
        service's, else None (the interpreter's queue). A function the registry lacks still
        follows its service's queue, so the interpreter's registry may hold only `services:`."""
        if resource["kind"] != "fc":
            return None
        service = resource.get("service", "")
        key = function_key(service, resource.get("qualifier"), resource.get("function", ""))
        target = self._functions.get(key)
        if target is not None and target.local_activity:
            return None
        if target is not None and target.task_queue is not None:
            return target.task_queue
        return self._services.get(service)

    def queue_of_target(self, target: FunctionTarget) -> str | None:
        """The task queue of a registry entry (None: the interpreter's queue)."""
        if target.local_activity:
            return None
        return target.task_queue or self._services.get(target.service)

    def _local_activities_on_queues(self) -> list[str]:
        """A local activity runs in the interpreter's worker: its service naming a queue
        contradicts that (its own `taskQueue` is refused by the entry's schema)."""
        return [
            f"functions.{_quote(key)}: {LOCAL_ACTIVITY_QUEUE}; its service "
            f"'{target.service}' names taskQueue '{self._services[target.service]}' "
            "(give this entry 'localActivity: false', or move it to another service)"
            for key, target in self._functions.items()
            if target.local_activity and target.service in self._services
        ]

    def resolve(self, resource: Resource) -> Target:
        """What serves `resource` (kind "fc" or "action"), or FunctionError as FC would say."""
        if resource["kind"] == "fc":
            return self._resolve_function(resource)
        if resource["kind"] == "action":
            return self._resolve_action(resource)
        raise ValueError(f"a {resource['kind']} resource ({resource['arn']}) is not a function")

    def timeout_for(self, resource: Resource) -> float:
        """The function's own timeout: how long a synchronous call may take (FDL decision 3)."""
        return self.resolve(resource).timeout

    def local_activity_bound(self, resource: Resource) -> float | None:
        """Seconds a call of `resource` may take as a local activity (its timeout, plus its
        initializer's), or None when its entry does not ask for one or it has no entry."""
        if resource["kind"] != "fc":
            return None
        try:
            target = self._resolve_function(resource)
        except FunctionError:
            return None
        if not target.local_activity:
            return None
        if isinstance(target, PythonFunction) and target.initializer is not None:
            return target.timeout + target.initializer.timeout
        return target.timeout

    def _resolve_function(self, resource: Resource) -> FunctionTarget:
        service = resource.get("service", "")
        function = resource.get("function", "")
        key = function_key(service, resource.get("qualifier"), function)
        found = self._functions.get(key)
        if found is not None:
            return found
        siblings = sorted(k for k, target in self._functions.items() if target.service == service)
        if not siblings:
            services = sorted({target.service for target in self._functions.values()})
            raise FunctionError(
                FC_SERVICE_NOT_FOUND,
                f"service '{service}' of {resource['arn']} is not in the function registry "
                f"{self.source}; its services are: {_listing(services)}",
            )
        raise FunctionError(
            FC_FUNCTION_NOT_FOUND,
            f"function '{key}' of {resource['arn']} is not in the function registry "
            f"{self.source}; for service '{service}' it has: {_listing(siblings)}",
        )

    def _resolve_action(self, resource: Resource) -> HttpAction:
        service = resource.get("service", "")
        key = f"{service}:{resource.get('action', '')}"
        found = self._actions.get(key)
        if found is not None:
            return found
        siblings = sorted(k for k, target in self._actions.items() if target.service == service)
        raise FunctionError(
            f"{service}.InvalidAction.NotFound",
            f"action '{key}' is not in the function registry {self.source}; "
            f"for service '{service}' it has: {_listing(siblings)}",
        )


REGISTRY_FILE_NAMES = ("functions.yaml", "functions.yml")
REGISTRY_FILE_SUFFIXES = (".functions.yaml", ".functions.yml")


def registry_files(paths: Iterable[str | Path]) -> list[Path]:
    """The registry files that `paths` name: a file as given; a folder, every file in it or
    below named `functions.yaml`/`.yml` or ending `.functions.yaml`/`.yml` (a folder of flows
    holds flow files too, so the name tells which files are registries). A folder holding
    none is a RegistryError, as an unreadable file is."""
    files: list[Path] = []
    for path in paths:
        given = Path(path).expanduser().resolve()
        if not given.is_dir():
            files.append(given)
            continue
        found = sorted(
            candidate
            for candidate in given.rglob("*")
            if candidate.is_file()
            and (
                candidate.name in REGISTRY_FILE_NAMES
                or candidate.name.endswith(REGISTRY_FILE_SUFFIXES)
            )
        )
        if not found:
            raise RegistryError(
                f"no function registry in folder {given}: expected files named "
                "functions.yaml or *.functions.yaml"
            )
        files.extend(found)
    return list(dict.fromkeys(files))


def function_key(service: str, qualifier: str | None, function: str) -> str:
    """The registry key of an FC function: `service/function` or `service.qualifier/function`."""
    return f"{service}.{qualifier}/{function}" if qualifier else f"{service}/{function}"


def _function_target(key: str, entry: _FunctionEntry, base: Path) -> FunctionTarget:
    head, _, tail = key.partition("/")
    try:
        resource = parse_resource_arn(f"acs:fc:::services/{head}/functions/{tail}")
    except ResourceError:
        raise ValueError(
            "key should be 'service/function' or 'service.qualifier/function' "
            "(names: letters, digits, '_' and '-', starting with a letter or '_')"
        ) from None
    service = resource.get("service", "")
    qualifier = resource.get("qualifier")
    function = resource.get("function", "")
    if entry.url is not None:
        return HttpFunction(
            key=key,
            service=service,
            qualifier=qualifier,
            function=function,
            url=entry.url,
            timeout=entry.timeout,
            headers=dict(entry.headers or {}),
            local_activity=entry.localActivity,
            task_queue=entry.taskQueue,
        )
    assert entry.handler is not None  # the model allows exactly one of handler and url
    module_file, module, attribute = _locate("handler", entry.handler, base)
    return PythonFunction(
        key=key,
        service=service,
        qualifier=qualifier,
        function=function,
        handler=entry.handler,
        module_file=module_file,
        module=module,
        attribute=attribute,
        base_dir=base,
        timeout=entry.timeout,
        concurrency=entry.concurrency,
        environment=dict(entry.environment or {}),
        initializer=_initializer(entry, base),
        local_activity=entry.localActivity,
        task_queue=entry.taskQueue,
    )


def _initializer(entry: _FunctionEntry, base: Path) -> PythonInitializer | None:
    if entry.initializer is None:
        return None
    module_file, module, attribute = _locate("initializer", entry.initializer, base)
    timeout = entry.initializationTimeout
    return PythonInitializer(
        handler=entry.initializer,
        module_file=module_file,
        module=module,
        attribute=attribute,
        timeout=DEFAULT_INITIALIZATION_TIMEOUT if timeout is None else timeout,
    )


def _locate(key: str, written: str, base: Path) -> tuple[Path | None, str | None, str]:
    """(file, module, attribute) of a checked `target:attribute`; the file must exist."""
    target, _, attribute = written.rpartition(":")
    if not target.endswith(".py"):
        return None, target, attribute
    module_file = (base / target).resolve()
    if not module_file.is_file():
        raise ValueError(f"{key} file {module_file} does not exist")
    return module_file, None, attribute


def _action_target(key: str, entry: _ActionEntry) -> HttpAction:
    try:
        resource = parse_action(key)
    except ResourceError:
        raise ValueError(
            "key should be 'serviceName:ApiName', e.g. ocr:RecognizeIdentityCard"
        ) from None
    return HttpAction(
        key=key,
        service=resource.get("service", ""),
        action=resource.get("action", ""),
        url=entry.url,
        timeout=entry.timeout,
        headers=dict(entry.headers or {}),
    )


# ---------------------------------------------------------------------------------------------
# Error reporting


def _describe(error: ErrorDetails) -> str:
    location = _location(error["loc"])
    if error["type"] == "extra_forbidden":
        *parent, unknown = error["loc"]
        allowed = _allowed_keys(parent)
        where = _location(tuple(parent)) or "top level"
        return f"{where}: unknown key '{unknown}' (allowed: {', '.join(allowed)})"
    message = error["msg"].removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def _allowed_keys(parent: list[int | str]) -> list[str]:
    if not parent:
        return list(_RegistryDocument.model_fields)
    if parent[0] == "actions":
        return list(_ActionEntry.model_fields)
    if parent[0] == "services":
        return list(_ServiceEntry.model_fields)
    return list(_FunctionEntry.model_fields)


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for index, part in enumerate(loc):
        text = str(part)
        parts.append(_quote(text) if index == 1 else text)
    return ".".join(parts)


def _quote(key: str) -> str:
    return f"'{key}'"


def _report(source: str, problems: list[str]) -> str:
    lines = "\n".join(f"  {problem}" for problem in problems)
    return f"invalid function registry {source}:\n{lines}"


def _listing(names: list[str]) -> str:
    if not names:
        return "(nothing)"
    shown = ", ".join(names[:_LISTED])
    more = len(names) - _LISTED
    return f"{shown} and {more} more" if more > 0 else shown
