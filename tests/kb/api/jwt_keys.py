"""Test helpers for JWT auth: an RSA key pair generated per test, signed tokens, and a JWKS
served from a real HTTP server on loopback (what an identity provider's jwks_uri does)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://idp.example.test/"
AUDIENCE = "freshkb"


class SigningKey:
    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def token(
        self,
        *,
        email: str = "alice@acme.test",
        groups: list[str] | None = None,
        iss: str = ISSUER,
        aud: str = AUDIENCE,
        expires_in: int = 300,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": iss,
            "aud": aud,
            "sub": email,
            "email": email,
            "groups": groups or [],
            "iat": now,
            "nbf": now - 5,
            "exp": now + expires_in,
            **extra,
        }
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


def jwt_settings(jwks_url: str = "", jwks_path: str = "") -> dict[str, Any]:
    return {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks_url, "jwks_path": jwks_path}


@contextmanager
def serve_jwks(jwks: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``jwks`` at http://127.0.0.1:<port>/jwks.json; yields (url, requested paths)."""
    body = json.dumps(jwks).encode()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200 if self.path == "/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
