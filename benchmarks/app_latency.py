"""The web app's time from upload to verdict for a 10-second 640x360 video, in a real browser and through the API.

    python benchmarks/app_latency.py --models=runs/demo/best.keras,b4
    python benchmarks/app_latency.py --models=RUN/export/pel_fp32.tflite --runs=5 --frames=16

For each model: starts ``app.py`` (its own process, as a user does), writes one H.264 video of 640x360 at
30 fps for 10 s (a public-domain face drifting over a textured background), then ``--runs`` times: opens the
page in headless Chromium, drops the video on it and waits for the verdict (the page: upload, frames
sampled, faces found and scored, frames and heatmaps drawn, downloads written); and ``--runs`` times: the
``score`` endpoint through gradio_client (upload, scoring, the JSON). Prints the start-up time and, per
measure, the first run (which includes tracing the model) and the median of the others, in wall-clock
time and in the app process's CPU time (what a shared machine does not inflate; CPU time / cores is the
floor of the wall-clock time on that many dedicated cores).

``b4`` stands for PEL with two EfficientNet-B4 streams at 320 px (weights=None, its classifier a linear probe
of the two sample faces, as the export tests make it), exported as an fp32 TFLite file by the export
library, kept in ``--cache_dir`` for the next run. The machine may be shared: compare numbers of one run.
"""

import os
import statistics
import sys
import tempfile
import time

from absl import app, flags

from pel_keras.testing import (
    browser,  # noqa: E402
    data_media,  # noqa: E402
)
from pel_keras.testing.ports import free_port  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("models", ["runs/demo/best.keras", "b4"], "Models to time; b4: the fp32 B4 TFLite at 320.")
flags.DEFINE_integer("runs", 3, "Uploads per model and measure.", lower_bound=1)
flags.DEFINE_integer("frames", 32, "Frames the app samples per video (its --frames).", lower_bound=1)
flags.DEFINE_string(
    "cache_dir",
    os.path.join(tempfile.gettempdir(), "pel-app-benchmark"),
    "Where the B4 TFLite file is built once and kept.",
)


def b4_tflite():
    """The fp32 TFLite of a B4 two-stream PEL at 320 (built into --cache_dir on first use)."""
    path = os.path.join(FLAGS.cache_dir, "run", "export", "pel_fp32.tflite")
    if not os.path.isfile(path):
        from pel_keras.export.all_formats import export_model
        from pel_keras.export.source import load_source
        from pel_keras.testing import export_helpers

        workdir = export_helpers.make_run(FLAGS.cache_dir, "float32", "efficientnet_b4", 320)
        export_model(load_source(workdir), os.path.dirname(path), formats=("tflite",), quantizations=("fp32",))
    return path


def process_cpu_seconds(pid):
    """User + system CPU seconds used so far by process ``pid`` (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(pid, action):
    """``(wall seconds, CPU seconds of the app)`` of ``action()``."""
    wall, cpu = time.monotonic(), process_cpu_seconds(pid)
    action()
    return time.monotonic() - wall, process_cpu_seconds(pid) - cpu


def median_after_first(times):
    """The first run (tracing included) and the median of the others, wall clock and the app's CPU time."""
    later = times[1:] or times
    wall, cpu = statistics.median(t[0] for t in later), statistics.median(t[1] for t in later)
    return (
        f"first {times[0][0]:.1f} s, then median {wall:.1f} s wall, {cpu:.1f} s of the app's CPU time "
        f"(over {len(later)})"
    )


def time_model(model, video, work):
    from gradio_client import Client, handle_file

    started = time.monotonic()
    process, url, output = browser.start_app(f"--model={model}", f"--frames={FLAGS.frames}", f"--port={free_port()}")
    start_up = time.monotonic() - started
    try:
        driver = browser.chromium(os.path.join(work, "downloads"), os.path.join(work, "profile"))
        try:
            page = [
                timed(process.pid, lambda: browser.upload_until_verdict(driver, url, [video]))
                for _ in range(FLAGS.runs)
            ]
        finally:
            driver.quit()
        client = Client(url, verbose=False)
        api = [
            timed(process.pid, lambda: client.predict(handle_file(video), api_name="/score")) for _ in range(FLAGS.runs)
        ]
    except Exception:
        print("".join(output[-30:]), file=sys.stderr)  # what the app said
        raise
    finally:
        process.terminate()
        process.wait(timeout=60)
    print(
        f"{model}: start-up {start_up:.0f} s; page, upload to verdict: {median_after_first(page)}; "
        f"API: {median_after_first(api)}",
        flush=True,
    )


def main(argv):
    del argv
    if not browser.have_browser():
        raise app.UsageError(
            f"needs {browser.CHROMIUM} and {browser.CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        )
    models = [b4_tflite() if model == "b4" else model for model in FLAGS.models]
    with tempfile.TemporaryDirectory() as work:
        frames = [data_media.frame(i, size=(640, 360)) for i in range(300)]
        video = data_media.write_h264(os.path.join(work, "clip.mp4"), frames)
        print(
            f"a 10 s 640x360 H.264 video (300 frames), {FLAGS.frames} sampled; {os.cpu_count()} CPU cores visible, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        for model in models:
            time_model(model, video, work)


if __name__ == "__main__":
    app.run(main)
