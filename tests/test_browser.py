"""End to end in a real browser: the dashboard notebook served by Voilà, driven by headless Chromium.

Needs Debian's ``chromium`` (``/usr/bin/chromium``), the Python packages ``playwright`` and
``voila``; skipped with the reason when any is missing. Playwright drives the system Chromium
(``executable_path``): no browser is downloaded. Every wait is bounded and the server is stopped
in a ``finally``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_levers_dashboard.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START = 90       # seconds for Voilà to answer
RENDER = 120            # seconds for the kernel to run the notebook and the widgets to appear
UPDATE = 60             # seconds for one dashboard update to reach the page

pytestmark = pytest.mark.browser


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"voila exited with code {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"voila did not answer on {url} within {SERVER_START} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the Voilà server we started and its kernel (same process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def test_dashboard_in_voila_responds_to_a_funds_slider(tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Chromium not found (apt-get install chromium; the CI installs it from .ci/apt-packages)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
    pytest.importorskip("voila", reason="voila is not installed")

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "voila.log"
    save_dir = NOTEBOOK.parent / "scenarios"            # the dashboard's default: beside the notebook
    saved_before = sorted(save_dir.iterdir()) if save_dir.is_dir() else None
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "Agg"}
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1", "--Voila.open_browser=False"],
            stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True)
    try:
        _wait_for_server(url, proc, log)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 1500}, accept_downloads=True)
                page.set_default_timeout(UPDATE * 1000)
                page.goto(url, timeout=RENDER * 1000)
                row = '.jd-targets tr[data-target="output"]'
                page.wait_for_selector(f"{row} .jd-value", timeout=RENDER * 1000)
                value0 = float(page.get_attribute(f"{row} .jd-value", "data-value"))
                delta0 = float(page.get_attribute(f"{row} .jd-delta", "data-value"))
                joint0 = page.inner_text(".jd-targets .jd-joint")
                prob0 = float(page.get_attribute(f"{row} .jd-prob", "data-value"))
                assert 1000 < value0 < 20000
                assert 0.0 <= prob0 <= 1.0
                link = ".jd-download a.jd-download-link"
                href0 = page.get_attribute(link, "href")

                readout = page.locator(".jd-slider-funds-ecommerce .widget-readout")
                start = float(readout.inner_text())
                readout.click()
                page.keyboard.press("Control+A")
                page.keyboard.type("20")
                page.keyboard.press("Enter")
                page.wait_for_function(
                    "([sel, old]) => { const e = document.querySelector(sel);"
                    " return e && Math.abs(parseFloat(e.dataset.value) - old) > 1e-6; }",
                    arg=[f"{row} .jd-value", value0], timeout=UPDATE * 1000)
                assert float(readout.inner_text()) == pytest.approx(20.0) and start < 20.0
                value1 = float(page.get_attribute(f"{row} .jd-value", "data-value"))
                prob1 = float(page.get_attribute(f"{row} .jd-prob", "data-value"))
                delta1 = float(page.get_attribute(f"{row} .jd-delta", "data-value"))
                status = page.inner_text(".jd-status")
                page_text = page.inner_text("body")
                # the settings as a file, handed to the browser: nothing is written on the server
                page.wait_for_function("([sel, old]) => document.querySelector(sel).href !== old",
                                       arg=[link, href0], timeout=UPDATE * 1000)
                with page.expect_download(timeout=UPDATE * 1000) as info:
                    page.click(link)
                downloaded = tmp_path / "browser" / "downloaded.toml"
                downloaded.parent.mkdir()
                info.value.save_as(str(downloaded))
                suggested = info.value.suggested_filename
                shot = tmp_path / "dashboard.png"
                page.screenshot(path=str(shot), full_page=True)
            finally:
                browser.close()
    finally:
        _stop(proc)
    assert value1 > value0, f"2025 output fell from {value0} to {value1} with more e-commerce funds"
    assert prob1 >= prob0, f"P(reach) fell from {prob0} to {prob1} with more e-commerce funds"
    assert "setting(s) changed" in status and "dashed line" in status
    # the starting scenario is the reference: no change before, the rise after, the same draws
    assert delta0 == 0 and delta1 == pytest.approx(value1 - value0, rel=1e-6) and delta1 > 0
    assert "95 % interval" in joint0 and "over 100 draws" in joint0
    # a page for readers who do not code: no command, no code
    for word in ("jdmodel run", "jdmodel check", "voila ", "dash.", "import "):
        assert word not in page_text, f"{word!r} is shown on the Voilà page"
    assert shot.stat().st_size > 10_000
    assert suggested == "dashboard_scenario.toml"
    text = downloaded.read_text(encoding="utf-8")
    assert 'extends = "plan"' in text and "levers.funds.ecommerce = { value = [20, 20, 20, 20, 20," in text
    from jdmodel.cli import main

    assert main(["check", str(downloaded)]) == 0
    assert (sorted(save_dir.iterdir()) if save_dir.is_dir() else None) == saved_before   # nothing written
