"""The console's pages (server-rendered HTML, Jinja2 with autoescaping) and its POST actions.

Every page reads and changes things through FnF actions (`api.console.calls`), so names,
inputs and limits are checked exactly as the API checks them; a refusal is a page naming
FnF's code and message, with FnF's status. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from api.actions import ApiContext
from api.console.calls import ContextProvider, SignerContext, call, every_page
from api.console.following import Followed, Following, FollowKey
from api.console.graph import GRAPH_STYLE, drawn, flow_graph, pickers
from api.console.highlight import highlighted, problems_of
from api.console.path import STATUS_WORDS, event_html, event_row, runs_by_node, waiting
from api.console.session import (
    COOKIE,
    LIFETIME_SECONDS,
    LOCAL_USER,
    LOGIN_COOKIE,
    ConsoleSessions,
    Session,
    same_token,
)
from api.protocol.errors import FnFError, invalid_argument
from worker.naming import execution_url

logger = logging.getLogger(__name__)

ROOT = "/console"
HERE = Path(__file__).parent
MAX_FORM_BYTES = 2 * 1024 * 1024
"""A form is at most a definition (128 KiB) or an input (1 MiB) with room for the rest."""
MAX_SHOWN_CHARS = 64 * 1024
"""A JSON value longer than this is cut on the page, saying how much was left out."""
EXECUTION_STATUSES = ("Running", "Succeeded", "Failed", "Stopped", "TimedOut")
REDRIVABLE = ("Failed", "Stopped")
"""Statuses an execution can be redriven from (RedriveExecution: worker/redrive.py)."""

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
)


@dataclass(frozen=True)
class ConsoleSettings:
    temporal_ui_url: str | None = None
    namespace: str = "default"


class Refused(Exception):
    """A page that cannot be served: its status and what to tell the person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def console_router(
    context: SignerContext, sessions: ConsoleSessions, settings: ConsoleSettings
) -> APIRouter:
    router = APIRouter(prefix=ROOT, include_in_schema=False)
    pages = Pages(context, sessions, settings)
    router.add_api_route("", pages.home, methods=["GET"])
    router.add_api_route("/", pages.flows, methods=["GET"])
    router.add_api_route("/graph.css", graph_style, methods=["GET"])
    router.add_api_route("/login", pages.login_form, methods=["GET"])
    router.add_api_route("/login", pages.login, methods=["POST"])
    router.add_api_route("/logout", pages.logout, methods=["POST"])
    router.add_api_route("/flows/new", pages.new_flow, methods=["GET"])
    router.add_api_route("/flows/new", pages.create_flow, methods=["POST"])
    router.add_api_route("/flows/{flow}", pages.flow, methods=["GET"])
    router.add_api_route("/flows/{flow}/update", pages.update_flow, methods=["POST"])
    router.add_api_route("/flows/{flow}/start", pages.start, methods=["POST"])
    router.add_api_route("/flows/{flow}/executions", pages.executions, methods=["GET"])
    router.add_api_route("/flows/{flow}/executions/{execution}", pages.execution, methods=["GET"])
    router.add_api_route(
        "/flows/{flow}/executions/{execution}/live", pages.execution_live, methods=["GET"]
    )
    router.add_api_route("/flows/{flow}/executions/{execution}/stop", pages.stop, methods=["POST"])
    router.add_api_route(
        "/flows/{flow}/executions/{execution}/redrive", pages.redrive, methods=["POST"]
    )
    router.add_api_route(
        "/flows/{flow}/executions/{execution}/report", pages.report, methods=["POST"]
    )
    return router


async def graph_style() -> Response:
    """The drawn graph's style sheet (translator.diagram.svg.STYLE), served as a file: the
    pages' Content-Security-Policy admits no inline style."""
    return Response(GRAPH_STYLE, media_type="text/css", headers={"Cache-Control": "no-cache"})


def mount_static(app: Any) -> None:
    app.mount(f"{ROOT}/static", StaticFiles(directory=HERE / "static"), name="console-static")


def console_error_page(request: Request, status: int, detail: str) -> Response:
    """What the framework refuses under /console (no such page, a wrong method) as a page."""
    code = "NotFound" if status == 404 else "InvalidArgument"
    session = getattr(request.state, "console_session", None)
    return render("error.html", max(status, 400), code=code, message=detail, session=session)


def render(template: str, http_status: int = 200, **values: Any) -> HTMLResponse:
    html = templates.get_template(template).render(root=ROOT, **values)
    return HTMLResponse(html, status_code=http_status, headers=SECURITY_HEADERS)


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Scripts and styles only from the console itself (none inline): a value that slipped past
escaping still could not run."""


def shown(value: Any) -> str:
    """A JSON value as indented text, cut at MAX_SHOWN_CHARS."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    if len(text) > MAX_SHOWN_CHARS:
        left = len(text) - MAX_SHOWN_CHARS
        return f"{text[:MAX_SHOWN_CHARS]}\n... ({left} more characters not shown)"
    return text


def script_json(value: Any) -> Markup:
    """JSON for a <script type="application/json"> block: no `<`, `>` or `&` can end it."""
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return Markup(text)


templates.filters["shown"] = shown


class Pages:
    def __init__(
        self, context: SignerContext, sessions: ConsoleSessions, settings: ConsoleSettings
    ) -> None:
        self.context = context
        self.sessions = sessions
        self.settings = settings
        self.following = Following()

    # -- session ---------------------------------------------------------------------------

    @staticmethod
    def session(request: Request) -> Session:
        """The session the authentication policy found; a console route reached without the
        policy (no session in the request's state) is refused, never served."""
        session = getattr(request.state, "console_session", None)
        if not isinstance(session, Session):
            raise Refused(403, "AccessDenied", "Sign in to the console first.")
        return session

    def services(self, request: Request) -> ContextProvider:
        """The services of the session's AccessKey (its team's namespace when the API serves
        several: api/tenancy.py), as for an API call that key signed; None in local mode."""
        session = self.session(request)
        signer = None if session.access_key_id == LOCAL_USER else session.access_key_id

        async def provide() -> ApiContext:
            return await self.context(signer)

        return provide

    async def form(self, request: Request) -> tuple[Session, FormData]:
        session = self.session(request)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_FORM_BYTES:
            raise Refused(413, "EntityTooLarge", f"The form is larger than {MAX_FORM_BYTES} bytes.")
        try:
            form = await request.form(max_files=1, max_fields=20, max_part_size=MAX_FORM_BYTES)
        except Exception:  # a malformed body is the sender's mistake
            raise Refused(400, "InvalidArgument", "The form cannot be read.") from None
        if not same_token(session.csrf, _field(form, "csrf")):
            raise Refused(
                403,
                "InvalidCsrfToken",
                "The form is stale or not from this console: reload the page and try again.",
            )
        return session, form

    async def home(self, request: Request) -> Response:
        return RedirectResponse(f"{ROOT}/", status_code=303)

    async def login_form(self, request: Request) -> Response:
        if getattr(request.state, "console_session", None) is not None:
            return RedirectResponse(f"{ROOT}/", status_code=303)  # local-only mode
        return self._login_page(request, "", 200)

    def _login_page(self, request: Request, error: str, status: int) -> Response:
        token = self.sessions.login_token()
        response = render(
            "login.html",
            status,
            token=token,
            error=error,
            next=_next(request.query_params.get("next")),
        )
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            path=f"{ROOT}/login",
            secure=request.url.scheme == "https",
        )
        return response

    async def login(self, request: Request) -> Response:
        try:
            form = await request.form(max_files=0, max_fields=10, max_part_size=8192)
        except Exception:
            return self._login_page(request, "The form cannot be read.", 400)
        if not same_token(request.cookies.get(LOGIN_COOKIE, ""), _field(form, "token")):
            return self._login_page(request, "The login form expired: try again.", 403)
        cookie = self.sessions.login(
            _field(form, "access_key_id"), _field(form, "access_key_secret")
        )
        if cookie is None:
            return self._login_page(request, "The AccessKey ID or secret is wrong.", 401)
        response = RedirectResponse(_next(_field(form, "next")), status_code=303)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=LIFETIME_SECONDS,
            httponly=True,
            samesite="strict",
            path=ROOT,
            secure=request.url.scheme == "https",
        )
        response.delete_cookie(LOGIN_COOKIE, path=f"{ROOT}/login")
        return response

    async def logout(self, request: Request) -> Response:
        return await self._guard(request, self._logout)

    async def _logout(self, request: Request) -> Response:
        await self.form(request)
        response = RedirectResponse(f"{ROOT}/login", status_code=303)
        response.delete_cookie(COOKIE, path=ROOT)
        return response

    # -- every page is one of these, so refusals are pages ---------------------------------

    async def _guard(self, request: Request, page: Any, *args: Any) -> Response:
        try:
            response: Response = await page(request, *args)
            return response
        except Refused as refused:
            return self._error(request, refused.status, refused.code, refused.message)
        except FnFError as error:
            return self._error(request, error.status, error.code, error.message)
        except Exception:
            logger.exception("console page %s failed", request.url.path)
            return self._error(request, 500, "InternalError", "The page could not be made.")

    def _error(self, request: Request, status: int, code: str, message: str) -> Response:
        session = getattr(request.state, "console_session", None)
        return render("error.html", status, code=code, message=message, session=session)

    # -- flows -----------------------------------------------------------------------------

    async def flows(self, request: Request) -> Response:
        return await self._guard(request, self._flows)

    async def _flows(self, request: Request) -> Response:
        session = self.session(request)
        token = request.query_params.get("token", "")
        raw: dict[str, Any] = {"Limit": 50}
        if token:
            raw["NextToken"] = token
        page = await call(self.services(request), "ListFlows", raw)
        return render(
            "flows.html",
            session=session,
            flows=page.get("Flows", []),
            next_token=page.get("NextToken", ""),
        )

    async def new_flow(self, request: Request) -> Response:
        return await self._guard(request, self._new_flow)

    async def _new_flow(self, request: Request) -> Response:
        session = self.session(request)
        return render(
            "flow_edit.html",
            session=session,
            flow=None,
            name="",
            definition="",
            problems=[],
            code=None,
        )

    async def create_flow(self, request: Request) -> Response:
        return await self._guard(request, self._create_flow)

    async def _create_flow(self, request: Request) -> Response:
        session, form = await self.form(request)
        name = _field(form, "name").strip()
        definition = await _definition(form)
        raw = {"Name": name, "Definition": definition, "Description": _field(form, "description")}
        problems = problems_of(definition, "flow") if definition.strip() else []
        try:
            await call(self.services(request), "CreateFlow", raw)
        except FnFError as error:
            return render(
                "flow_edit.html",
                error.status,
                session=session,
                flow=None,
                name=name,
                definition=definition,
                problems=problems,
                error=error,
                code=highlighted(definition, problems) if definition.strip() else None,
            )
        return RedirectResponse(_flow_url(name), status_code=303)

    async def flow(self, request: Request, flow: str) -> Response:
        return await self._guard(request, self._flow, flow)

    async def _flow(self, request: Request, flow: str) -> Response:
        session = self.session(request)
        record = await call(self.services(request), "DescribeFlow", {"Name": flow})
        definition = str(record.get("Definition", ""))
        problems = problems_of(definition, flow)
        graph, _ = await drawn(definition)
        return render(
            "flow.html",
            session=session,
            record=record,
            flow=flow,
            definition=definition,
            code=highlighted(definition, problems),
            problems=problems,
            graph=graph,
        )

    async def update_flow(self, request: Request, flow: str) -> Response:
        return await self._guard(request, self._update_flow, flow)

    async def _update_flow(self, request: Request, flow: str) -> Response:
        session, form = await self.form(request)
        definition = await _definition(form)
        raw = {"Name": flow, "Definition": definition}
        try:
            await call(self.services(request), "UpdateFlow", raw)
        except FnFError as error:
            problems = problems_of(definition, flow) if definition.strip() else []
            record = await call(self.services(request), "DescribeFlow", {"Name": flow})
            return render(
                "flow.html",
                error.status,
                session=session,
                record=record,
                flow=flow,
                definition=definition,
                problems=problems,
                error=error,
                code=highlighted(definition, problems),
                graph=(await drawn(str(record.get("Definition", ""))))[0],
            )
        return RedirectResponse(f"{_flow_url(flow)}?updated=1", status_code=303)

    # -- executions ------------------------------------------------------------------------

    async def executions(self, request: Request, flow: str) -> Response:
        return await self._guard(request, self._executions, flow)

    async def _executions(self, request: Request, flow: str) -> Response:
        session = self.session(request)
        query = request.query_params
        status, prefix, token = (
            query.get("status", ""),
            query.get("prefix", ""),
            query.get("token", ""),
        )
        limit = query.get("limit", "20")
        raw: dict[str, Any] = {"FlowName": flow, "Limit": limit, "MetadataOnly": True}
        if status:
            raw["Status"] = status
        if prefix:
            raw["ExecutionNamePrefix"] = prefix
        if token:
            raw["NextToken"] = token
        page = await call(self.services(request), "ListExecutions", raw)
        next_token = page.get("NextToken", "")
        more = (
            "?"
            + urlencode({"status": status, "prefix": prefix, "limit": limit, "token": next_token})
            if next_token
            else ""
        )
        return render(
            "executions.html",
            session=session,
            flow=flow,
            executions=page.get("Executions", []),
            status=status,
            prefix=prefix,
            statuses=EXECUTION_STATUSES,
            more=more,
        )

    async def start(self, request: Request, flow: str) -> Response:
        return await self._guard(request, self._start, flow)

    async def _start(self, request: Request, flow: str) -> Response:
        _session, form = await self.form(request)
        raw: dict[str, Any] = {"FlowName": flow}
        if name := _field(form, "name").strip():
            raw["ExecutionName"] = name
        if text := _field(form, "input").strip():
            raw["Input"] = text
        started = await call(self.services(request), "StartExecution", raw)
        return RedirectResponse(_execution_url(flow, str(started["Name"])), status_code=303)

    async def execution(self, request: Request, flow: str, execution: str) -> Response:
        return await self._guard(request, self._execution, flow, execution, "execution.html")

    async def execution_live(self, request: Request, flow: str, execution: str) -> Response:
        return await self._guard(request, self._execution, flow, execution, "execution_live.html")

    async def _execution(
        self, request: Request, flow: str, execution: str, template: str
    ) -> Response:
        """The execution's page (or its live region): only the events after those this
        process has already traced are read, and tracing, drawing and rendering run in a
        worker thread (api/console/following.py)."""
        session = self.session(request)
        names = {"FlowName": flow, "ExecutionName": execution}
        record = await call(self.services(request), "DescribeExecution", names)
        definition = str(record.get("FlowDefinition", ""))
        key = FollowKey(session.access_key_id, flow, execution, str(record.get("StartedTime")))
        entry = self.following.entry(key, definition)
        picks = _picks(request.query_params.getlist("pick"))
        async with entry.lock:
            began = time.perf_counter()
            new = await every_page(
                self.services(request),
                "GetExecutionHistory",
                names,
                "Events",
                1000,
                str(entry.next_event) if entry.next_event > 1 else "",
            )
            read = time.perf_counter()

            def page() -> HTMLResponse:
                _follow(entry, new)
                return self._execution_page(
                    template, session, flow, execution, record, entry, picks
                )

            response = await asyncio.to_thread(page)
        done = time.perf_counter()
        response.headers["Server-Timing"] = (
            f'history;desc="{len(new)} events read";dur={(read - began) * 1000:.1f}, '
            f"path;dur={(done - read) * 1000:.1f}"
        )
        return response

    def _execution_page(
        self,
        template: str,
        session: Session,
        flow: str,
        execution: str,
        record: dict[str, Any],
        entry: Followed,
        picks: dict[str, int],
    ) -> HTMLResponse:
        path = entry.tracker.path
        status = str(record.get("Status", ""))
        return render(
            template,
            session=session,
            flow=flow,
            execution=execution,
            record=record,
            running=status == "Running",
            ended=STATUS_WORDS.get(status, ""),
            redrivable=status in REDRIVABLE,
            graph=flow_graph(entry.definition, path, picks),
            pickers=pickers(entry.definition, path, picks),
            events=entry.rows,
            runs=script_json(runs_by_node(path, shown)),
            waiting=waiting(path),
            temporal_url=self._temporal_url(flow, execution),
            error=path.error,
            cause=path.cause,
            failed=path.failed_step(),
            caught=path.caught_runs(),
        )

    def _temporal_url(self, flow: str, execution: str) -> str:
        base = self.settings.temporal_ui_url
        if not base:
            return ""
        return execution_url(base, self.settings.namespace, flow, execution)

    async def stop(self, request: Request, flow: str, execution: str) -> Response:
        return await self._guard(request, self._stop, flow, execution)

    async def _stop(self, request: Request, flow: str, execution: str) -> Response:
        _session, form = await self.form(request)
        raw = {"FlowName": flow, "ExecutionName": execution}
        if error := _field(form, "error").strip():
            raw["Error"] = error
        if cause := _field(form, "cause").strip():
            raw["Cause"] = cause
        await call(self.services(request), "StopExecution", raw)
        return RedirectResponse(_execution_url(flow, execution), status_code=303)

    async def redrive(self, request: Request, flow: str, execution: str) -> Response:
        return await self._guard(request, self._redrive, flow, execution)

    async def _redrive(self, request: Request, flow: str, execution: str) -> Response:
        """RedriveExecution, as the API runs it; a refusal (ExecutionNotRedrivable...) is the
        error page with FnF's code."""
        await self.form(request)
        raw = {"FlowName": flow, "ExecutionName": execution}
        await call(self.services(request), "RedriveExecution", raw)
        return RedirectResponse(_execution_url(flow, execution), status_code=303)

    async def report(self, request: Request, flow: str, execution: str) -> Response:
        return await self._guard(request, self._report, flow, execution)

    async def _report(self, request: Request, flow: str, execution: str) -> Response:
        _session, form = await self.form(request)
        token = _field(form, "token")
        if _field(form, "outcome") == "succeeded":
            raw = {"TaskToken": token, "Output": _field(form, "output").strip() or "{}"}
            await call(self.services(request), "ReportTaskSucceeded", raw)
        else:
            raw = {
                "TaskToken": token,
                "Error": _field(form, "error").strip(),
                "Cause": _field(form, "cause"),
            }
            await call(self.services(request), "ReportTaskFailed", raw)
        return RedirectResponse(_execution_url(flow, execution), status_code=303)


def _flow_url(flow: str) -> str:
    """The console page of a flow: a name is one path segment (RFC 3986 section 3.3)."""
    return f"{ROOT}/flows/{quote(flow, safe='')}"


def _execution_url(flow: str, execution: str) -> str:
    return f"{_flow_url(flow)}/executions/{quote(execution, safe='')}"


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _definition(form: FormData) -> str:
    """The uploaded file's text when one was chosen, else the pasted text."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_FORM_BYTES + 1)
        if len(data) > MAX_FORM_BYTES:
            raise invalid_argument(f"The uploaded file is larger than {MAX_FORM_BYTES} bytes.")
        if data:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise invalid_argument("The uploaded file is not UTF-8 text.") from None
    return _field(form, "definition")


def _picks(values: list[str]) -> dict[str, int]:
    """`pick=<foreach node path>:<iteration>` query values."""
    picks: dict[str, int] = {}
    for value in values:
        node, _, index = value.rpartition(":")
        if node and index.isdigit() and len(index) < 10:
            picks[node] = int(index)
    return picks


def _next(target: str | None) -> str:
    """Where to go after the login: only a console page of this site."""
    if (
        target
        and target.startswith(f"{ROOT}/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return f"{ROOT}/"


def _follow(entry: Followed, events: list[dict[str, Any]]) -> None:
    """Feed the new events to the execution's path, then add their rows (placed by it), each
    rendered once: a refresh of a long history only joins them."""
    first = entry.next_event
    entry.tracker.feed(events)
    path = entry.tracker.path
    entry.rows.extend(
        event_html(event_row(e, path, shown)) for e in events if int(e.get("EventId") or 0) >= first
    )
