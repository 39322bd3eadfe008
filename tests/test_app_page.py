"""The app's server on a small trained PEL model: the ``score`` API (through gradio_client), queued users, the
upload limit, the threshold that re-decides without scoring, and app.py's exit statuses."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import trained_run
from gradio_client import Client, handle_file

import pel_keras
from pel_keras.app import page
from pel_keras.app.service import ScoringService
from pel_keras.prediction.predict import PredictConfig, json_settings, predict
from pel_keras.prediction.results import json_document
from pel_keras.prediction.scorer import Scorer
from pel_keras.testing.ports import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = PredictConfig(frames=4)


class TimedScorer:
    """The service's real scorer, recording when each call starts and ends."""

    def __init__(self, scorer):
        self.scorer, self.calls = scorer, []

    def __getattr__(self, name):
        return getattr(self.scorer, name)

    def __call__(self, crops, on_batch=None):
        start = time.monotonic()
        scored = self.scorer(crops, on_batch)
        self.calls.append((start, time.monotonic()))
        return scored


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return trained_run.saved_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("page_media")
    trained_run.write_video(root / "fake.mp4", trained_run.frames(True, 6))
    trained_run.write_video(root / "real.mp4", trained_run.frames(False, 6))
    return root


@pytest.fixture(scope="module")
def server(run, tmp_path_factory):
    """``(service, url)`` of the app serving the small model, uploads limited to 1 MB."""
    service = ScoringService(str(run.directory / "best.keras"), CONFIG)
    service.scorer = TimedScorer(service.scorer)
    workspace = str(tmp_path_factory.mktemp("workspace"))
    blocks = page.build(service, workspace)
    _, url = page.launch(blocks, "127.0.0.1", free_port(), 1, workspace)
    yield service, url
    blocks.close()


def reference(run, media, names, monkeypatch, threshold=0.5):
    """predict.py's JSON document for ``names``, typed relative to their folder."""
    monkeypatch.chdir(media)
    config = PredictConfig(frames=CONFIG.frames, threshold=threshold)
    scorer = Scorer(str(run.directory / "best.keras"))
    return json_document(predict(names, scorer, config), json_settings(str(run.directory / "best.keras"), config, 64))


def test_the_score_api_returns_predict_json(server, run, media, monkeypatch):
    _, url = server
    client = Client(url, verbose=False)
    assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == [
        "/score"
    ]  # the page's are private
    document = client.predict(handle_file(str(media / "fake.mp4")), api_name="/score")
    assert document == reference(run, media, ["fake.mp4"], monkeypatch)
    assert document["inputs"][0]["verdict"] == "fake"


def test_the_score_api_over_plain_http_as_the_docs_show_it(server, run, media, monkeypatch):
    _, url = server
    with open(media / "real.mp4", "rb") as file:
        [path] = httpx.post(f"{url}gradio_api/upload", files={"files": ("real.mp4", file)}, timeout=60).json()
    data = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}]}
    event = httpx.post(f"{url}gradio_api/call/score", json=data, timeout=60).json()["event_id"]
    stream = httpx.get(f"{url}gradio_api/call/score/{event}", timeout=300).text
    assert stream.startswith("event: complete\ndata: ")
    [document] = json.loads(stream.split("data: ", 1)[1])
    assert document == reference(run, media, ["real.mp4"], monkeypatch)


def test_users_at_once_are_queued_on_one_model_loaded_once(server, run, media, monkeypatch):
    service, url = server
    loads = []
    monkeypatch.setattr(pel_keras, "load_model", lambda *args, **kwargs: loads.append(args))
    service.scorer.calls.clear()
    names = ["fake.mp4", "real.mp4", "fake.mp4", "real.mp4"]
    answers = [None] * len(names)

    def user(i):
        answers[i] = Client(url, verbose=False).predict(handle_file(str(media / names[i])), api_name="/score")

    users = [threading.Thread(target=user, args=(i,)) for i in range(len(names))]
    for thread in users:
        thread.start()
    for thread in users:
        thread.join(timeout=300)
    monkeypatch.undo()
    expected = {name: reference(run, media, [name], monkeypatch) for name in set(names)}
    assert answers == [expected[name] for name in names]
    calls = sorted(service.scorer.calls)
    assert len(calls) == len(names) and loads == []
    assert all(end <= next_start for (_, end), (next_start, _) in zip(calls, calls[1:]))  # one model call at a time


def test_an_upload_over_the_limit_is_refused_and_the_app_goes_on(server, run, media, tmp_path, monkeypatch):
    _, url = server
    big = tmp_path / "big.mp4"
    big.write_bytes(os.urandom(1024 * 1024 + 1))
    with open(big, "rb") as file:
        answer = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.mp4", file)}, timeout=60)
    assert answer.status_code == 413 and "maximum allowed size of 1048576 bytes" in answer.text
    document = Client(url, verbose=False).predict(handle_file(str(media / "real.mp4")), api_name="/score")
    assert document == reference(run, media, ["real.mp4"], monkeypatch)


def test_the_threshold_re_decides_and_rewrites_the_downloads_without_scoring(server, run, media, tmp_path, monkeypatch):
    service, _ = server
    handlers = page.Page(service, str(tmp_path))
    upload = tmp_path / "upload"
    upload.mkdir()
    files = [str(shutil.copy(media / name, upload / name)) for name in ("real.mp4", "fake.mp4")]
    state, batch, json_path, *_ = handlers.score_upload(files, 0.5, None, progress=lambda *args, **kwargs: None)
    assert batch.count("pel-real") == 1 and batch.count("pel-fake") == 1
    service.scorer.calls.clear()
    batch, json_path, csv_path, verdict, plot = handlers.redecide(state, 0, 0.01)
    assert service.scorer.calls == [] and batch.count("pel-fake") == 2 and 'data-verdict="fake"' in verdict
    with open(json_path) as file:
        assert json.load(file) == reference(run, media, ["real.mp4", "fake.mp4"], monkeypatch, threshold=0.01)
    assert plot.axes[0].lines[1].get_ydata()[0] == 0.01  # the threshold line moved
    handlers.score_upload(None, 0.5, state)
    assert not os.path.exists(state["folder"])  # a new batch removes the last one's pictures


def test_app_py_exits_with_2_for_a_bad_model_flag_or_port(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    for flags, words in (
        (["--model=missing.keras"], "missing.keras: no such file or folder"),
        (["--model=x.keras", "--threshold=2"], "threshold"),
        (["--model=x.keras", "--port=0"], "port"),
        (["--model=x.keras", f"--port={port}"], f"cannot serve on 127.0.0.1:{port}"),
    ):
        done = subprocess.run([sys.executable, "app.py", *flags], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and words in done.stderr, done.stderr[-2000:]
    taken.close()
