"""app.py in a real browser: headless Chromium (Debian's chromium and chromium-driver, which .ci/run installs)
driven by Selenium uploads a video with a face and a text file, and sees the verdict, the plot, the frames,
the heatmap and the error row; the downloaded JSON is predict.py's for the video; the threshold re-decides;
the page asks nothing of any host but the app's own; Ctrl+C stops it and removes its files. The screenshot is
kept in the test's temporary folder (its path is printed)."""

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.parse

import pytest
import trained_run

from pel_keras.testing.browser import (
    ROOT,
    chromium,
    have_browser,
    requested_hosts,
    start_app,
    upload_until_verdict,
    wait,
)
from pel_keras.testing.ports import free_port

FRAMES = 8

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not have_browser(), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
    ),
]


def test_the_page_scores_an_upload_and_its_json_is_predict_json(tmp_path_factory, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    model = str(trained_run.saved_run(tmp_path_factory.getbasetemp()).directory / "best.keras")
    media = tmp_path / "media"
    media.mkdir()
    trained_run.write_video(media / "clip.mp4", trained_run.frames(True, 12))
    (media / "notes.txt").write_text("not a video")
    predicted = subprocess.Popen(
        [
            sys.executable,
            os.path.join(ROOT, "predict.py"),
            "clip.mp4",
            f"--model={model}",
            f"--frames={FRAMES}",
            f"--json={tmp_path / 'predict.json'}",
        ],
        cwd=media,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "pel-app-*")))
    app, url, output = start_app(f"--model={model}", f"--frames={FRAMES}", f"--port={free_port()}")
    downloads = tmp_path / "downloads"
    driver = chromium(downloads, tmp_path / "profile")
    try:
        assert urllib.parse.urlsplit(url).hostname == "127.0.0.1"  # bound to this machine by default
        seconds = upload_until_verdict(driver, url, [media / "clip.mp4", media / "notes.txt"], timeout=240)
        print(f"upload to verdict: {seconds:.1f} s")
        verdict = driver.find_element(By.ID, "pel-verdict")
        assert verdict.get_attribute("data-verdict") == "fake" and "clip.mp4" in verdict.text
        batch = driver.find_element(By.ID, "pel-batch").text
        assert "NOT SCORED" in batch and "notes.txt: not a video or an image" in batch

        def shown(selector):
            images = driver.find_elements(By.CSS_SELECTOR, selector)
            return [i for i in images if driver.execute_script("return arguments[0].naturalWidth", i) > 0]

        plot = wait(lambda: shown("#pel-plot img"), 30, "the plot")[0]
        assert plot.get_attribute("src").startswith("data:image/png") and plot.size["width"] > 300
        heatmap = wait(lambda: shown("#pel-heatmap img"), 30, "the heatmap")[0]
        assert heatmap.get_attribute("src").endswith("_heatmap.jpg")
        assert len(wait(lambda: shown("#pel-frames img"), 30, "the frames")) == FRAMES
        driver.find_elements(By.CSS_SELECTOR, "#pel-frames .thumbnail-item")[0].click()
        wait(lambda: "Heatmap of frame 0:" in driver.find_element(By.ID, "pel-heatmap").text, 30, "frame 0's heatmap")
        driver.save_screenshot(str(tmp_path / "app.png"))
        print(f"screenshot: {tmp_path / 'app.png'}")

        driver.find_element(By.ID, "pel-json").click()
        downloaded = json.loads(wait(lambda: list(downloads.glob("*.json")), 30, "the JSON download")[0].read_text())
        assert predicted.wait(timeout=300) == 0, predicted.stderr.read()[-3000:]
        clip, notes = downloaded.pop("inputs")
        assert {**downloaded, "inputs": [clip]} == json.loads((tmp_path / "predict.json").read_text())
        assert (notes["input"], notes["status"], notes["score"]) == ("notes.txt", "error", None)

        number = driver.find_element(By.CSS_SELECTOR, "#pel-threshold input[type=number]")
        number.send_keys(Keys.CONTROL, "a")
        number.send_keys("0.99", Keys.ENTER)
        wait(
            lambda: driver.find_element(By.ID, "pel-verdict").get_attribute("data-verdict") == "real",
            30,
            "the verdict at threshold 0.99",
        )
        assert requested_hosts(driver) == {urllib.parse.urlsplit(url).netloc}
    finally:
        driver.quit()
        app.send_signal(signal.SIGINT)
        assert app.wait(timeout=60) == 0, "".join(output[-40:])
        assert set(glob.glob(os.path.join(tempfile.gettempdir(), "pel-app-*"))) <= before  # its workspace is gone
