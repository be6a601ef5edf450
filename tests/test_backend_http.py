"""OpenAIBackend against a scripted chat-completions server on 127.0.0.1, through the real client path.

:class:`ChatServer` answers each POST with the next scripted behaviour (a
normal answer, a slow one, a status, raw bytes, a body cut off mid-way) and
records the requests it got; the conformance suite in test_backends.py uses
it too.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from assay.bridges.models.openai import OpenAIBackend
from assay.kernel.backends import BackendError, Message, ModelBackend, Prompt

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def reply(content: Any, *, usage: dict[str, Any] | None = None, status: int = 200,
          delay: float = 0.0) -> Behaviour:
    """A chat completion with ``content`` (None: no usage object) after ``delay`` seconds."""
    body: dict[str, Any] = {"id": "x", "object": "chat.completion", "model": "fake-model",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                         "finish_reason": "stop"}]}
    if usage is not None:
        body["usage"] = usage
    return raw(json.dumps(body).encode(), status=status, delay=delay)


def raw(data: bytes, *, status: int = 200, delay: float = 0.0, declared: int | None = None) -> Behaviour:
    """Send ``data`` with a Content-Length of ``declared`` (default its length), then close."""
    def behave(h: BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data) if declared is None else declared))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()
        h.close_connection = True
    return behave


def hang_up(h: BaseHTTPRequestHandler) -> None:
    """Close the connection without a status line."""
    h.close_connection = True


class ChatServer:
    """A tiny OpenAI-compatible server: each POST gets the next scripted behaviour (the last one repeats)."""

    def __init__(self) -> None:
        self.script: list[Behaviour] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                server.requests.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
                server.headers.append(dict(self.headers))
                behave = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    behave(self)  # a client that gave up first (a timeout test) is no error here

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def then(self, *behaviours: Behaviour) -> ChatServer:
        self.script = list(behaviours)
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ChatServer]:
    s = ChatServer()
    yield s
    s.close()


def prompt(text: str = "How many chickens?", **kw: Any) -> Prompt:
    return Prompt(messages=(Message("system", "Answer in JSON."), Message("user", text)), **kw)


def failure(backend: OpenAIBackend, timeout: float = 5.0) -> BackendError:
    with pytest.raises(BackendError) as info:
        backend.complete(prompt(), timeout=timeout)
    return info.value


def test_a_normal_answer_has_the_content_and_the_reported_usage(server: ChatServer) -> None:
    server.then(reply('{"chickens": 3}', usage={"prompt_tokens": 17, "completion_tokens": 5}))
    backend = OpenAIBackend(server.url, "m1", api_key="sk-test")
    c = backend.complete(prompt(max_tokens=64, temperature=0.5), timeout=5)
    assert (c.text, c.prompt_tokens, c.completion_tokens, c.estimated, c.model) == \
        ('{"chickens": 3}', 17, 5, False, "fake-model")
    assert isinstance(backend, ModelBackend)
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"] == {"model": "m1", "max_tokens": 64, "temperature": 0.5, "messages": [
        {"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "How many chickens?"}]}
    assert server.headers[0]["Authorization"] == "Bearer sk-test"
    assert "sk-test" not in repr(backend)


def test_a_base_url_ending_in_v1_is_not_doubled(server: ChatServer) -> None:
    server.then(reply("ok", usage={"prompt_tokens": 1, "completion_tokens": 1}))
    OpenAIBackend(server.url + "/v1/", "m").complete(prompt(), timeout=5)
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert "Authorization" not in server.headers[0]


def test_missing_usage_is_estimated(server: ChatServer) -> None:
    server.then(reply("12345678"))
    c = OpenAIBackend(server.url, "m").complete(prompt(), timeout=5)
    # The estimate: UTF-8 bytes / 4 rounded up; prompt = "Answer in JSON." + "How many chickens?" = 33 bytes.
    assert (c.prompt_tokens, c.completion_tokens, c.estimated) == (9, 2, True)


def test_a_slow_server_is_a_timeout(server: ChatServer) -> None:
    server.then(reply("late", delay=2.0))
    e = failure(OpenAIBackend(server.url, "m"), timeout=0.3)
    assert e.kind == "timeout" and (e.prompt_tokens, e.completion_tokens) == (0, 0)
    assert "within 0.3s" in e.detail


def test_the_backends_own_timeout_caps_the_calls(server: ChatServer) -> None:
    server.then(reply("late", delay=2.0))
    assert failure(OpenAIBackend(server.url, "m", timeout=0.3), timeout=60).kind == "timeout"


def test_a_500_is_http_with_the_status_and_the_body(server: ChatServer) -> None:
    server.then(raw(b'{"error": {"message": "out of memory"}}', status=500))
    e = failure(OpenAIBackend(server.url, "m"))
    assert e.kind == "http"
    assert e.detail == f'HTTP 500 from {server.url}/v1/chat/completions: {{"error": {{"message": "out of memory"}}}}'


def test_an_error_body_with_usage_charges_the_reported_tokens(server: ChatServer) -> None:
    server.then(reply(None, status=429, usage={"prompt_tokens": 40, "completion_tokens": 2}))
    e = failure(OpenAIBackend(server.url, "m"))
    assert (e.kind, e.prompt_tokens, e.completion_tokens) == ("http", 40, 2)


def test_a_long_error_body_is_cut_to_an_excerpt(server: ChatServer) -> None:
    server.then(raw(b"x" * 5000, status=503))
    e = failure(OpenAIBackend(server.url, "m"))
    assert e.kind == "http" and e.detail.endswith("x" * 197 + "...")


def test_a_non_json_body_is_garbage(server: ChatServer) -> None:
    server.then(raw(b"<html>Bad gateway</html>"))
    e = failure(OpenAIBackend(server.url, "m"))
    assert (e.kind, e.detail) == ("garbage", f"response from {server.url}/v1/chat/completions is not JSON: "
                                             "'<html>Bad gateway</html>'")


@pytest.mark.parametrize("body", [b'{"choices": []}', b'{"choices": [{"text": "hi"}]}', b"[1, 2]",
                                  b'{"choices": [{"message": {"content": 7}}]}'])
def test_a_body_without_content_is_garbage(server: ChatServer, body: bytes) -> None:
    server.then(raw(body))
    assert failure(OpenAIBackend(server.url, "m")).kind == "garbage"


def test_garbage_with_usage_charges_the_reported_tokens(server: ChatServer) -> None:
    server.then(raw(b'{"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 3}}'))
    e = failure(OpenAIBackend(server.url, "m"))
    assert (e.kind, e.prompt_tokens, e.completion_tokens) == ("garbage", 11, 3)


@pytest.mark.parametrize("content", ["", "  \n", None])
def test_blank_content_is_empty_with_the_reported_tokens(server: ChatServer, content: str | None) -> None:
    server.then(reply(content, usage={"prompt_tokens": 12, "completion_tokens": 0}))
    e = failure(OpenAIBackend(server.url, "m"))
    assert (e.kind, e.prompt_tokens, e.completion_tokens) == ("empty", 12, 0)


def test_a_connection_closed_mid_response_is_garbage(server: ChatServer) -> None:
    server.then(raw(b'{"choices": [{"message": {"con', declared=400))
    e = failure(OpenAIBackend(server.url, "m"))
    assert e.kind == "garbage" and "cut off" in e.detail


def test_a_connection_closed_before_any_reply_is_http(server: ChatServer) -> None:
    server.then(hang_up)
    e = failure(OpenAIBackend(server.url, "m"))
    assert e.kind == "http" and "RemoteDisconnected" in e.detail


def test_nobody_listening_is_http() -> None:
    s = ChatServer()
    url = s.url
    s.close()
    e = failure(OpenAIBackend(url, "m"))
    assert e.kind == "http" and e.detail.startswith(f"cannot reach {url}/v1/chat/completions")


def test_a_bad_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match=r"base_url must be an http\(s\) URL like http://127.0.0.1:8000, "
                                         r"got 'localhost:8000'"):
        OpenAIBackend("localhost:8000", "m")


def test_a_retry_after_a_failure_gets_the_next_answer(server: ChatServer) -> None:
    server.then(raw(b"oops", status=502), reply("fine", usage={"prompt_tokens": 3, "completion_tokens": 1}))
    backend = OpenAIBackend(server.url, "m")
    assert failure(backend).kind == "http"
    assert backend.complete(prompt(), timeout=5).text == "fine"
