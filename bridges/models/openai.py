"""A model behind an OpenAI-compatible chat completions endpoint (vLLM, llama.cpp, TGI, Ollama, OpenAI).

Only the standard library speaks HTTP here (``urllib.request``): the one
request, ``POST {base_url}/v1/chat/completions``, needs nothing more.  Every
way the exchange can fail becomes a :class:`BackendError` whose ``kind`` the
offload loop acts on:

- ``timeout``: the server took longer than the timeout (for the whole exchange);
- ``http``: a 4xx/5xx status (the message has the status and the start of the
  body) or a connection that could not be made or was dropped before a reply;
- ``garbage``: a body that is not JSON, is cut off, or lacks
  ``choices[0].message.content``;
- ``empty``: the content is blank.

The counts of a failed attempt are the ones the server reported in a
``usage`` object where the body has one, else 0.  A successful reply without
usage gets estimated counts (``estimated=True``).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from assay.kernel.backends import BackendError, Completion, Prompt

from . import estimate_prompt_tokens, estimate_tokens

__all__ = ["OpenAIBackend"]

_EXCERPT = 200
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _excerpt(raw: bytes) -> str:
    """The start of a body, on one line, for an error message."""
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text if len(text) <= _EXCERPT else text[:_EXCERPT - 3] + "..."


def _usage(data: Any) -> tuple[int | None, int | None]:
    """The prompt and completion tokens a parsed body reports, each None where it does not."""
    usage = data.get("usage") if isinstance(data, dict) else None
    if not isinstance(usage, dict):
        return None, None

    def count(key: str) -> int | None:
        v = usage.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None

    return count("prompt_tokens"), count("completion_tokens")


def _usage_of_body(raw: bytes) -> tuple[int, int]:
    """Reported counts from an error body, 0 where it reports none (an error body is often not JSON)."""
    try:
        p, c = _usage(json.loads(raw))
    except ValueError:
        return 0, 0
    return p or 0, c or 0


def _endpoint(base_url: str) -> str:
    """``{base_url}/v1/chat/completions``; a base URL that already ends in ``/v1`` is not doubled."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an http(s) URL like http://127.0.0.1:8000, got {base_url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/chat/completions", "", ""))


class OpenAIBackend:
    """``POST {base_url}/v1/chat/completions`` for one model; ``api_key`` is sent as a bearer token.

    ``timeout`` caps every call (a call's own ``timeout`` may lower it).
    ``extra`` is merged into the request body (``{"top_p": 0.9}``, ``{"seed": 1}``).
    """

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 120.0,
                 name: str | None = None, extra: dict[str, Any] | None = None) -> None:
        self.url = _endpoint(base_url)
        self.model = model
        self.name = name or f"openai:{model}"
        self.timeout = timeout
        self.extra = dict(extra or {})
        self._api_key = api_key
        host = urllib.parse.urlsplit(self.url).hostname or ""
        # A proxy configured for the outside world must not swallow a server on this machine.
        handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.url!r}, {self.model!r})"  # never the key

    def _request(self, prompt: Prompt) -> urllib.request.Request:
        body = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in prompt.messages],
            "max_tokens": prompt.max_tokens,
            "temperature": prompt.temperature,
            **self.extra,
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"), headers=headers,
                                      method="POST")

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        """Send ``prompt`` and return the first choice's content, or raise BackendError."""
        limit = min(timeout, self.timeout)
        started = time.monotonic()
        if limit <= 0:
            raise BackendError("timeout", f"no time left (timeout={timeout})")
        raw = self._exchange(self._request(prompt), limit, started)
        return self._parse(raw, prompt, started)

    def _exchange(self, request: urllib.request.Request, limit: float, started: float) -> bytes:
        """The response body, read in full within ``limit`` seconds of ``started``."""
        def fail(kind: str, detail: str, counts: tuple[int, int] = (0, 0)) -> BackendError:
            return BackendError(kind, detail, prompt_tokens=counts[0], completion_tokens=counts[1],
                                seconds=time.monotonic() - started)

        try:
            with self._opener.open(request, timeout=limit) as response:
                chunks = []
                while chunk := response.read(65536):
                    chunks.append(chunk)
                    if time.monotonic() - started > limit:
                        raise TimeoutError
                body = b"".join(chunks)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and len(body) < int(declared):
                    # read(n) returns what came before the connection closed, without complaint.
                    raise http.client.IncompleteRead(body, int(declared) - len(body))
                return body
        except urllib.error.HTTPError as e:
            try:
                body = e.read()
            except (OSError, http.client.HTTPException):
                body = b""
            raise fail("http", f"HTTP {e.code} from {self.url}: {_excerpt(body) or e.reason}",
                       _usage_of_body(body)) from None
        except TimeoutError:
            raise fail("timeout", f"no complete answer from {self.url} within {limit:g}s") from None
        except http.client.IncompleteRead as e:
            raise fail("garbage", f"response from {self.url} cut off after {len(e.partial)} bytes") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise fail("timeout", f"no answer from {self.url} within {limit:g}s") from None
            raise fail("http", f"cannot reach {self.url}: {e.reason}") from None
        except (http.client.HTTPException, OSError) as e:
            raise fail("http", f"connection to {self.url} failed: {type(e).__name__}: {e}") from None

    def _parse(self, raw: bytes, prompt: Prompt, started: float) -> Completion:
        """A Completion from a 2xx body, or BackendError garbage/empty with the reported counts."""
        def fail(kind: str, detail: str, p: int | None = None, c: int | None = None) -> BackendError:
            return BackendError(kind, detail, prompt_tokens=p or 0, completion_tokens=c or 0,
                                seconds=time.monotonic() - started)

        try:
            data = json.loads(raw)
        except ValueError:
            raise fail("garbage", f"response from {self.url} is not JSON: {_excerpt(raw)!r}") from None
        p, c = _usage(data)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise fail("garbage", f"response from {self.url} has no choices[0].message.content: "
                                  f"{_excerpt(raw)!r}", p, c) from None
        if content is not None and not isinstance(content, str):
            raise fail("garbage", f"choices[0].message.content is a {type(content).__name__}, not a string", p, c)
        if not content or not content.strip():
            raise fail("empty", f"{self.model} returned blank content", p, c)
        return Completion(
            text=content,
            prompt_tokens=estimate_prompt_tokens(prompt) if p is None else p,
            completion_tokens=estimate_tokens(content) if c is None else c,
            seconds=time.monotonic() - started,
            estimated=p is None or c is None,
            model=str(data.get("model") or self.model),
        )
