"""Driving app.py from a real browser: the app as a process, and Debian's headless Chromium through Selenium.

Shared by the browser test and ``benchmarks/app_latency.py``. Nothing can be downloaded at test time, so
the browser is the system's (``apt-get install chromium chromium-driver``, which ``.ci/run`` does).
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout (app.py)
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1500",
)


def have_browser():
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def start_app(*flags):
    """``(process, url, output lines)``: app.py with ``flags``, once it printed its address."""
    process = subprocess.Popen(
        [sys.executable, "app.py", *flags], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = []
    for line in process.stdout:
        output.append(line)
        if "PEL app running at " in line:
            threading.Thread(target=output.extend, args=(process.stdout,), daemon=True).start()  # keep the pipe open
            return process, line.split("PEL app running at ")[1].split()[0], output
    raise AssertionError("app.py ended without serving:\n" + "".join(output[-40:]))


def chromium(downloads, profile):
    """A headless Chromium that saves downloads into ``downloads`` and logs every network request."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + (f"--user-data-dir={profile}",):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def wait(condition, timeout, what):
    """The first truthy ``condition()``, polled every 0.1 s; AssertionError naming ``what`` after ``timeout`` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout} s for {what}")


def upload_until_verdict(driver, url, paths, timeout=600):
    """Opens the page, drops ``paths`` on it and waits for the verdict; returns seconds from upload to verdict."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    upload = wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#pel-files input[type=file]"), 120, "the page")
    started = time.monotonic()
    upload[0].send_keys("\n".join(str(path) for path in paths))
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#pel-verdict"), timeout, "the verdict")
    return time.monotonic() - started


def requested_hosts(driver):
    """Every host the page sent an http(s) or websocket request to (Chrome's performance log)."""
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        url = params.get("request", {}).get("url") or params.get("url", "")
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated") and url:
            parsed = urllib.parse.urlsplit(url)
            if parsed.scheme in ("http", "https", "ws", "wss"):
                hosts.add(parsed.netloc)
    return hosts
