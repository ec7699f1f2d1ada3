"""A real OpenAI-compatible chat server on loopback for tests: answers ``POST
/v1/chat/completions`` with a scripted reply (or an error, a delay, a malformed body) and records
every request (headers and JSON body) so tests can check what FreshKB sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    content: str = "The answer [1]."
    status: int = 200
    delay_s: float = 0.0
    raw_body: bytes | None = None  # sent as-is instead of a well-formed completion


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class ChatServer:
    base_url: str
    script: Script
    requests: list[Recorded] = field(default_factory=list)

    @property
    def last_prompt(self) -> str:
        return "\n".join(m["content"] for m in self.requests[-1].body["messages"])


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    state = ChatServer(base_url="", script=Script())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            script = state.script
            if script.delay_s:
                time.sleep(script.delay_s)
            if self.path != "/v1/chat/completions":
                payload, status = b'{"error": "not found"}', 404
            elif script.raw_body is not None:
                payload, status = script.raw_body, script.status
            else:
                payload = json.dumps(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "model": body.get("model"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": script.content},
                            }
                        ],
                    }
                ).encode()
                status = script.status
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
