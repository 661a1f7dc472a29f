"""Real servers on 127.0.0.1 for the notifier tests: aiosmtpd for SMTP, http.server for webhooks."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from award.workflow.values import Message

from tests.fixtures_smtp import HOST, RecordingHandler, SmtpServer, free_port, smtp_server_fixture  # noqa: F401

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """urllib honours *_proxy variables; the loopback servers must be reached directly."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


SUBJECT = "关于上海市质量金奖参评资格的通知——请于2026年10月12日前补充材料"
TEXT = "上海甲乙丙质量科技有限公司：\n\n    贵单位的申报材料已受理，公示期至2026年10月12日。\n\n上海市质量奖评审办公室\n"


@pytest.fixture
def make_message() -> Callable[..., Message]:
    """Messages with a fresh id each, so tests sharing a session server never see each other's mail."""

    def make(**overrides: Any) -> Message:
        values: dict[str, Any] = {
            "message_id": f"<outbox-{uuid.uuid4().hex[:8]}.case-7@award.local>",
            "to": "applicant@example.cn",
            "subject": SUBJECT,
            "text": TEXT,
        }
        values.update(overrides)
        return Message(**values)

    return make


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) but never answers: a hung server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


# --- SMTP: the shared server lives in tests/fixtures_smtp.py ---------------------------------------

def _refuse_everyone(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture(scope="session")
def auth_smtp_server() -> Iterator[SmtpServer]:
    """A server that offers AUTH (over plain text, for the test) and refuses every login with 535."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler, hostname=HOST, port=port, authenticator=_refuse_everyone, auth_require_tls=False
    )
    controller.start()
    try:
        yield SmtpServer(host=HOST, port=port, handler=handler)
    finally:
        controller.stop()


# --- HTTP -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


# path -> (status, extra headers, body)
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {}, b'{"ok": true}'),
    "/accepted": (202, {}, b""),
    "/robot": (200, {}, b'{"errcode":0,"errmsg":"ok"}'),
    "/robot-refuses": (200, {}, b'{"errcode":45009,"errmsg":"api freq out of limit"}'),
    "/broken": (500, {}, b"internal error"),
    "/unavailable": (503, {}, b""),
    "/missing": (404, {}, b"no such hook"),
    "/bad": (400, {}, "内容格式错误".encode()),
    "/slow-down": (429, {"Retry-After": "60"}, b""),
    "/moved": (302, {"Location": "/ok"}, b""),
}


class _RecordingRequestHandler(BaseHTTPRequestHandler):
    server: _RecordingHTTPServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.record(Request(path=self.path, headers=dict(self.headers.items()), body=body))
        status, headers, reply = ROUTES.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


class _RecordingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__((HOST, 0), _RecordingRequestHandler)
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def with_key(self, key: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.headers.get("Idempotency-Key") == key]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


@pytest.fixture(scope="session")
def http_server() -> Iterator[_RecordingHTTPServer]:
    server = _RecordingHTTPServer()
    thread = threading.Thread(target=server.serve_forever, name="webhook-test-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
