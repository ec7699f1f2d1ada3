"""Serve FreshKB (exactly what ``kb serve`` runs: ``create_app(Runtime(settings))`` under uvicorn)
or the naive baseline, from a benchmark's JSON settings, on 127.0.0.1.

``python -m benchmarks.serve CONFIG_JSON PORT [--naive]``. ``Server`` starts it as a subprocess
and waits for ``/healthz``; the benchmark samples the subprocess's RSS while it is loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

HOST = "127.0.0.1"


class Server:
    def __init__(self, config: Path, port: int, *, naive: bool = False, log: Path | None = None) -> None:
        self.url = f"http://{HOST}:{port}"
        cmd = [sys.executable, "-m", "benchmarks.serve", str(config), str(port)]
        cmd += ["--naive"] if naive else []
        self._log = open(log or os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
        }
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )

    def wait(self, timeout: float = 300) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"{self.url} not healthy after {timeout}s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("config", type=Path)
    parser.add_argument("port", type=int)
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()
    import uvicorn

    from kb.config import settings_from_dict

    settings = settings_from_dict(json.loads(args.config.read_text()))
    if args.naive:
        from benchmarks.naive import naive_app

        app = naive_app(settings)
    else:
        from kb.api import create_app
        from kb.runtime import Runtime

        app = create_app(Runtime(settings))
    uvicorn.run(app, host=HOST, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
