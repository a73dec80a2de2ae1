"""A real browser for the tests: Debian's headless Chromium driven over the DevTools protocol.

``.ci/run`` installs Chromium when it is missing; on a machine without it the browser tests are skipped, except
under CI (``CI`` set), where a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

#: Seconds to wait for the browser to start or a page to load: generous, so a loaded machine does not fail a test.
PATIENCE = 90


def chromium() -> str:
    """The browser's path; skips the test where there is none (fails it under CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("no Chromium on this machine (apt-get install chromium)")


class Browser:
    """One headless Chromium with one page; every request the page makes is recorded in ``requests``."""

    def __init__(self, width: int = 1280, height: int = 900):
        import websocket  # websocket-client, installed with JupyterLab

        self._profile = tempfile.mkdtemp(prefix="qindex-chromium-")
        self._proc = subprocess.Popen(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self._profile}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + PATIENCE
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=PATIENCE) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        self._ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=PATIENCE, suppress_origin=True
        )
        self._id = 0
        self._events: list[dict] = []
        self.requests: list[str] = []
        self.send("Page.enable")
        self.send("Network.enable")
        self.send("Runtime.enable")

    def send(self, method: str, **params) -> dict:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._note(message)

    def _note(self, message: dict) -> None:
        if message.get("method") == "Network.requestWillBeSent":
            self.requests.append(message["params"]["request"]["url"])
        self._events.append(message)

    def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event."""
        self._events.clear()
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + PATIENCE
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not load")
            self._note(json.loads(self._ws.recv()))

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def links(self) -> list[str]:
        """Every link of the page, as absolute addresses, leaving out links within the page."""
        return self.evaluate(
            "[...document.querySelectorAll('a[href]')].filter(a => !a.getAttribute('href')"
            ".startsWith('#')).map(a => a.href)"
        )

    def images(self) -> list[dict]:
        """Every image: its address (cut short), whether it loaded and its natural width in pixels."""
        return self.evaluate(
            "[...document.images].map(i => ({src: i.src.slice(0, 60), complete: i.complete,"
            " width: i.naturalWidth}))"
        )

    def close(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            ws.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
