"""Test mode: run flows against mocked functions (`fnf test`, `fnf test-step`, the `fnf_flow`
pytest fixture), the FDL counterpart of Step Functions Local's mock configuration file and of
its TestState API.

`model` is the mock file (pydantic, with its JSON schema), `activities` the task activities
that answer from it, `runner` the cases on Temporal's time-skipping test server, `expectations`
what a case checks, `step_check` one step on its own, `pytest_plugin` the fixture.
"""
