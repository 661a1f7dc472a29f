"""A local HTTP server standing in for a group-chat robot (WeCom, DingTalk, Feishu) on 127.0.0.1.

It records every POST (path with query, headers, JSON body) and answers with the JSON the test
sets, HTTP 200 like the real robots, whose refusals are error codes inside a 200 reply.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

HOST = "127.0.0.1"


@dataclass
class Posted:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Robot:
    """The running robot: `reply` is what it answers next; `posts` what it received."""

    server: ThreadingHTTPServer
    reply: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    posts: list[Posted] = field(default_factory=list)

    def url(self, path: str = "/robot/send?access_token=T0KEN") -> str:
        return f"http://{HOST}:{self.server.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        robot: Robot = self.server.robot  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        split = urlsplit(self.path)
        robot.posts.append(Posted(path=split.path, query=parse_qs(split.query), headers=dict(self.headers.items()),
                                  body=json.loads(raw.decode("utf-8"))))
        answer = json.dumps(robot.reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(name="robot")
def robot_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Robot]:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer((HOST, 0), _Handler)
    state = Robot(server=server)
    server.robot = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
