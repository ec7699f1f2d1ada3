"""Two alert runner processes started together against one store (SQLite, and PostgreSQL where the
runner holds an advisory lock): every owner gets one digest, never two."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kb.runtime import Runtime
from kb.store.alerts import AlertHistory
from tests.conftest import ROOT
from tests.kb.alerts.conftest import HOOK_PATH, SLACK_PATH, Mailbox, Receiver

# Each process waits for the go file, then runs once with the company's settings and store.
DRIVER = """
import json, sys, time
from pathlib import Path
from kb.clock import FixedClock
from kb.config import Settings
from kb.runtime import Runtime
from tests.conftest import EXAMPLE_NOW

settings = Settings.model_validate_json(Path(sys.argv[1]).read_text())
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
rt = Runtime(settings, clock=FixedClock(EXAMPLE_NOW))
report = rt.alert_runner().run()
rt.close()
sent = [d.recipient for d in report.deliveries if d.status == "sent"]
print(json.dumps({"locked": report.locked, "sent": sent}))
"""


@pytest.mark.slow
def test_two_runners_started_together_send_one_digest_per_owner(
    company: Runtime,
    smtp_server: tuple[Mailbox, int],
    webhook_server: tuple[Receiver, str],
    tmp_path: Path,
) -> None:
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(company.settings.model_dump_json())
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(settings_file), str(go)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(3)  # both have imported FreshKB and wait for the go file
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    box, receiver = smtp_server[0], webhook_server[0]
    per_recipient = Counter(rcpt for m in box.messages for rcpt in m.rcpt_tos)
    assert len(box.messages) == 3 and set(per_recipient.values()) == {1}, per_recipient
    assert sorted(path for path, _ in receiver.posts) == sorted([SLACK_PATH, HOOK_PATH])
    sent = Counter(r for report in reports for r in report["sent"])
    assert len(sent) == 5 and set(sent.values()) == {1}, reports
    recorded = company.db.execute("SELECT recipient, COUNT(*) AS n FROM alert_digests GROUP BY recipient")
    assert {r["recipient"]: r["n"] for r in recorded} == dict.fromkeys(sent, 1)
    assert AlertHistory(company.db).deliveries(limit=50) and all(
        d["status"] == "sent" for d in AlertHistory(company.db).deliveries(limit=50)
    )
