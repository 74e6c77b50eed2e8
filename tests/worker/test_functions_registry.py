"""The function registry file: validation errors that name file and entry, exact lookups."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from translator.resources import parse_action, parse_resource_arn
from worker.functions import (
    FunctionError,
    FunctionRegistry,
    HttpAction,
    HttpFunction,
    PythonFunction,
    PythonInitializer,
    RegistryError,
)

FIXTURES = Path(__file__).parent / "fixtures" / "functions"
REGISTRY = FIXTURES / "functions.yaml"


def fc(path: str) -> Any:
    """`service[.qualifier]/function` as the parsed resource of a flow's ARN."""
    service, function = path.split("/")
    return parse_resource_arn(f"acs:fc:cn-hangzhou:123:services/{service}/functions/{function}")


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "handlers.py").write_text("def handler(event, context):\n    return event\n")
    path = tmp_path / "functions.yaml"
    path.write_text(text)
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(RegistryError) as raised:
        FunctionRegistry.load(path)
    message = str(raised.value)
    assert str(path) in message
    return message


# --- loading --------------------------------------------------------------------------------


def test_loads_python_entries_with_defaults_and_resolved_files() -> None:
    registry = FunctionRegistry.load(REGISTRY)
    echo = registry.functions["demo/echo"]
    assert isinstance(echo, PythonFunction)
    assert echo.module_file == FIXTURES / "handlers.py"
    assert (echo.attribute, echo.timeout, echo.concurrency) == ("echo", 60.0, None)
    described = registry.functions["demo/describe"]
    assert isinstance(described, PythonFunction)
    assert described.environment == {"STAGE": "test"}
    assert described.timeout == 5
    online = registry.functions["demo.online/version"]
    assert isinstance(online, PythonFunction)
    assert (online.module, online.module_file, online.qualifier) == ("handlers", None, "online")


def test_from_mapping_builds_http_and_action_entries(tmp_path: Path) -> None:
    registry = FunctionRegistry.from_mapping(
        {
            "functions": {
                "video-demo/split": {
                    "url": "http://127.0.0.1:9000/split",
                    "timeout": 30,
                    "headers": {"X-Token": "abc"},
                }
            },
            "actions": {"ocr:RecognizeIdentityCard": {"url": "https://ocr.example/api"}},
        },
        tmp_path,
    )
    split = registry.resolve(fc("video-demo/split"))
    assert split == HttpFunction(
        key="video-demo/split",
        service="video-demo",
        qualifier=None,
        function="split",
        url="http://127.0.0.1:9000/split",
        timeout=30,
        headers={"X-Token": "abc"},
    )
    action = registry.resolve(parse_action("ocr:RecognizeIdentityCard"))
    assert isinstance(action, HttpAction)
    assert (action.service, action.action, action.timeout) == ("ocr", "RecognizeIdentityCard", 60)


def test_an_initializer_entry_resolves_its_callable_and_defaults_to_fcs_timeout(
    tmp_path: Path,
) -> None:
    (tmp_path / "setup.py").write_text("def initialize(context):\n    pass\n")
    path = write(
        tmp_path,
        "functions:\n"
        "  db/query:\n"
        "    handler: handlers.py:handler\n"
        "    initializer: handlers.py:handler\n"
        "  db/model:\n"
        "    handler: handlers.py:handler\n"
        "    initializer: setup.py:initialize\n"
        "    initializationTimeout: 10\n"
        "  db/module:\n"
        "    handler: handlers.py:handler\n"
        "    initializer: pkg.setup:initialize\n"
        "    initializationTimeout: 0.5\n"
        "  db/plain:\n"
        "    handler: handlers.py:handler\n",
    )
    functions = FunctionRegistry.load(path).functions
    query, model, module, plain = (
        functions[f"db/{name}"] for name in ("query", "model", "module", "plain")
    )
    assert isinstance(query, PythonFunction)
    assert query.initializer == PythonInitializer(
        handler="handlers.py:handler",
        module_file=tmp_path / "handlers.py",
        module=None,
        attribute="handler",
        timeout=3.0,
    )
    assert isinstance(model, PythonFunction) and model.initializer is not None
    assert (model.initializer.module_file, model.initializer.timeout) == (tmp_path / "setup.py", 10)
    assert isinstance(module, PythonFunction) and module.initializer is not None
    assert (module.initializer.module, module.initializer.attribute) == ("pkg.setup", "initialize")
    assert isinstance(plain, PythonFunction) and plain.initializer is None


def test_an_empty_registry_is_valid(tmp_path: Path) -> None:
    registry = FunctionRegistry.load(write(tmp_path, "# nothing yet\n"))
    assert registry.functions == {}


def test_a_missing_registry_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RegistryError, match=f"cannot read function registry {missing}"):
        FunctionRegistry.load(missing)


def test_bad_yaml_says_where(tmp_path: Path) -> None:
    message = load_error(tmp_path, "functions:\n  demo/a: {handler: handlers.py:handler\n")
    assert "not valid YAML" in message
    assert "line 2" in message


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    text = (
        "functions:\n"
        "  demo/a:\n    handler: handlers.py:handler\n"
        "  demo/a:\n    url: http://127.0.0.1:1/\n"
    )
    assert "found duplicate key 'demo/a'" in load_error(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "functions:\n  demo/a:\n    handler: handlers.py:handler\n    memory: 128\n",
            "functions.'demo/a': unknown key 'memory' (allowed: handler, url, timeout,",
        ),
        ("function:\n  demo/a: {}\n", "top level: unknown key 'function' (allowed: functions"),
        (
            "functions:\n  demo/a:\n    handler: handlers.py:handler\n    url: http://x/\n",
            "functions.'demo/a': give either 'handler' (a Python function) or 'url' "
            "(an HTTP endpoint), not both",
        ),
        ("functions:\n  demo/a: {timeout: 3}\n", "functions.'demo/a': give either 'handler'"),
        (
            "functions:\n  demo/a: {handler: 'handlers.handler'}\n",
            "functions.'demo/a'.handler: handler 'handlers.handler' should be 'file.py:callable'",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler', timeout: 0}\n",
            "functions.'demo/a'.timeout: Input should be greater than 0",
        ),
        (
            "functions:\n  demo/a: {url: 'ftp://host/x'}\n",
            "functions.'demo/a'.url: url 'ftp://host/x' should be an http:// or https://",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler', headers: {A: b}}\n",
            "'headers' apply to 'url' entries only",
        ),
        (
            "functions:\n  demo/a/b: {handler: 'handlers.py:handler'}\n",
            "functions.'demo/a/b': key should be 'service/function' or "
            "'service.qualifier/function'",
        ),
        (
            "functions:\n  demo/a: {handler: 'missing.py:handler'}\n",
            "functions.'demo/a': handler file ",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler', initializer: 'init'}\n",
            "functions.'demo/a'.initializer: initializer 'init' should be 'file.py:callable' "
            "or 'package.module:callable'",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler', initializer: 'a b:c'}\n",
            "initializer 'a b:c': 'a b' is neither a .py file nor a dotted module name",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler',"
            " initializer: 'handlers.py:handler', initializationTimeout: -1}\n",
            "functions.'demo/a'.initializationTimeout: Input should be greater than 0",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler',"
            " initializer: 'handlers.py:handler', initializationTimeout: 301}\n",
            "functions.'demo/a'.initializationTimeout: Input should be less than or equal to 300",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler', initializationTimeout: 5}\n",
            "functions.'demo/a': 'initializationTimeout' needs an 'initializer'",
        ),
        (
            "functions:\n  demo/a: {url: 'http://x/', initializer: 'handlers.py:handler'}\n",
            "functions.'demo/a': 'initializer' and 'initializationTimeout' apply to 'handler' "
            "entries only: an HTTP endpoint initializes itself before it answers",
        ),
        (
            "functions:\n  demo/a: {handler: 'handlers.py:handler', initializer: 'nope.py:i'}\n",
            "functions.'demo/a': initializer file ",
        ),
        (
            "actions:\n  ocr-RecognizeIdentityCard: {url: 'http://x/'}\n",
            "actions.'ocr-RecognizeIdentityCard': key should be 'serviceName:ApiName'",
        ),
        ("- just a list\n", "expected a mapping with 'functions' and/or 'actions', got list"),
    ],
)
def test_invalid_content_is_explained(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in load_error(tmp_path, text)


def test_every_bad_entry_is_reported_at_once(tmp_path: Path) -> None:
    text = "functions:\n  demo/a: {timeout: -1, handler: 'x.py:y'}\n  demo/b: {url: 'nope'}\n"
    message = load_error(tmp_path, text)
    assert "functions.'demo/a'.timeout" in message
    assert "functions.'demo/b'.url" in message


# --- lookup ---------------------------------------------------------------------------------


def test_lookup_is_exact_on_the_qualifier() -> None:
    registry = FunctionRegistry.load(REGISTRY)
    assert registry.resolve(fc("demo/version")).key == "demo/version"
    assert registry.resolve(fc("demo.1/version")).key == "demo.1/version"
    assert registry.resolve(fc("demo.online/version")).key == "demo.online/version"


def test_an_unqualified_entry_does_not_serve_a_qualified_call() -> None:
    registry = FunctionRegistry.load(REGISTRY)
    with pytest.raises(FunctionError) as raised:
        registry.resolve(fc("demo.2/echo"))
    assert raised.value.name == "FC.FunctionNotFound"
    cause = raised.value.cause
    assert "function 'demo.2/echo'" in cause
    assert "acs:fc:cn-hangzhou:123:services/demo.2/functions/echo" in cause
    assert str(REGISTRY) in cause
    assert "for service 'demo' it has: demo.1/version, demo.online/version, demo/broken" in cause


def test_a_missing_function_names_arn_file_and_what_the_service_has() -> None:
    registry = FunctionRegistry.from_mapping(
        {"functions": {"svc/a": {"url": "http://h/a"}, "svc.v1/b": {"url": "http://h/b"}}},
        source="inline",
    )
    with pytest.raises(FunctionError) as raised:
        registry.resolve(fc("svc/missing"))
    assert raised.value.name == "FC.FunctionNotFound"
    assert raised.value.cause == (
        "function 'svc/missing' of acs:fc:cn-hangzhou:123:services/svc/functions/missing "
        "is not in the function registry inline; for service 'svc' it has: svc.v1/b, svc/a"
    )


def test_a_missing_service_is_service_not_found() -> None:
    registry = FunctionRegistry.load(REGISTRY)
    with pytest.raises(FunctionError) as raised:
        registry.resolve(fc("other.1/echo"))
    assert raised.value.name == "FC.ServiceNotFound"
    assert "service 'other'" in raised.value.cause
    assert "its services are: demo" in raised.value.cause
    assert str(REGISTRY) in raised.value.cause


def test_a_missing_action_uses_the_service_prefix() -> None:
    registry = FunctionRegistry.load(REGISTRY)
    with pytest.raises(FunctionError) as raised:
        registry.resolve(parse_action("ocr:RecognizeIdentityCard"))
    assert raised.value.name == "ocr.InvalidAction.NotFound"
    assert "action 'ocr:RecognizeIdentityCard'" in raised.value.cause


def test_timeout_for_is_the_functions_own_timeout() -> None:
    registry = FunctionRegistry.load(REGISTRY)
    assert registry.timeout_for(fc("demo/slow")) == 0.5
    assert registry.timeout_for(fc("demo/echo")) == 60


def test_other_resources_are_not_functions() -> None:
    registry = FunctionRegistry.load(REGISTRY)
    with pytest.raises(ValueError, match="mns-queue resource"):
        registry.resolve(parse_resource_arn("acs:mns:::/queues/q/messages"))


def test_function_error_pickles() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(FunctionError("FC.Unknown", "why")))
    assert (error.name, error.cause) == ("FC.Unknown", "why")


# --- several registries ---------------------------------------------------------------------


def _registry(folder: Path, name: str, key: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handlers.py").write_text("def handler(event, context):\n    return event\n")
    path = folder / name
    path.write_text(f"functions:\n  {key}:\n    handler: handlers.py:handler\n")
    return path


def test_several_registries_answer_as_one(tmp_path: Path) -> None:
    one = _registry(tmp_path / "a", "functions.yaml", "svc/one")
    two = _registry(tmp_path / "b", "functions.yaml", "svc/two")
    merged = FunctionRegistry.load_all([one, two])
    assert set(merged.functions) == {"svc/one", "svc/two"}
    assert isinstance(merged.resolve(fc("svc/two")), PythonFunction)
    with pytest.raises(FunctionError) as missing:
        merged.resolve(fc("svc/three"))
    assert str(one) in missing.value.cause and str(two) in missing.value.cause


def test_a_folder_holds_registries_found_by_their_names(tmp_path: Path) -> None:
    _registry(tmp_path / "x", "functions.yaml", "svc/one")
    _registry(tmp_path / "x" / "deeper", "more.functions.yml", "svc/two")
    _registry(tmp_path / "x", "flow.yaml", "svc/not-a-registry")
    folder = tmp_path / "x"
    for loaded in (FunctionRegistry.load_all([folder]), FunctionRegistry.load(folder)):
        assert set(loaded.functions) == {"svc/one", "svc/two"}
        assert "every functions.yaml" in loaded.source


def test_a_key_in_two_registries_is_refused_naming_both(tmp_path: Path) -> None:
    one = _registry(tmp_path / "a", "functions.yaml", "svc/one")
    again = _registry(tmp_path / "b", "functions.yaml", "svc/one")
    with pytest.raises(RegistryError) as raised:
        FunctionRegistry.load_all([one, again])
    assert f"function 'svc/one' is in both {one} and {again}" in str(raised.value)


def test_a_folder_without_registries_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="no function registry in folder"):
        FunctionRegistry.load_all([tmp_path])


def test_fnf_functions_names_several_like_path(tmp_path: Path) -> None:
    from worker.settings import Settings

    settings = Settings(functions=f"a.yaml{os.pathsep}{tmp_path}{os.pathsep}")
    assert settings.functions == [Path("a.yaml"), tmp_path]
    assert FunctionRegistry.load_all([]).functions == {}
