"""`python -m serving --demo`: the API and the demo portal on their own ports, with the
URLs printed once everything is ready (what `make demo` ends with)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.serving.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_demo_launcher_serves_api_docs_and_portal(
    bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    api, portal = free_port(), free_port()
    env = {
        **os.environ,
        "RECSYS_DEMO_DIR": str(small_world),
        "MLFLOW_TRACKING_URI": f"sqlite:///{bundle.parent / 'tracking.db'}",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "serving", "--demo", "--port", str(api)]
    command += ["--portal-port", str(portal), "--lang", "en"]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        output = "".join(lines)
        assert f"API documentation (OpenAPI): http://127.0.0.1:{api}/docs" in output, output
        assert f"Demo portal page (widget): http://127.0.0.1:{portal}/" in output, output
        assert "demo-hr-key (hr)" in output
        with httpx.Client(timeout=30) as client:
            assert client.get(f"http://127.0.0.1:{api}/docs").status_code == 200
            page = client.get(f"http://127.0.0.1:{portal}/")
            assert page.status_code == 200 and "<asn-suggestions" in page.text
            assert f'src="http://127.0.0.1:{api}/widget.js"' in page.text
            script = client.get(f"http://127.0.0.1:{api}/widget.js")
            assert "customElements.define" in script.text
        audit = (tmp_path / "reports" / "audit.jsonl").read_text()
        assert '"caller": "demo-portal"' in audit and "widget-token@http://127.0.0.1" in audit
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "serving", "--port", str(port), "--lang", "en"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr
