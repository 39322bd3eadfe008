"""The app's scoring service on a small trained PEL model: predict.py's results for each upload, its
pictures, bad inputs in a batch, the downloads and the model panel (no web server: see test_app_page.py)."""

import dataclasses
import json
import shutil
import signal
import subprocess
import sys
import zlib

import cv2
import keras
import numpy as np
import pytest
import trained_run
from sklearn.metrics import roc_auc_score

from pel_keras.app import model_card
from pel_keras.app.downloads import csv_rows, write_downloads
from pel_keras.app.drawing import score_color, score_plot
from pel_keras.app.service import ScoringService
from pel_keras.evaluation.outputs import Scored, save_evaluation
from pel_keras.evaluation.scores import FrameScores
from pel_keras.prediction.predict import PredictConfig, json_settings, predict
from pel_keras.prediction.results import FaceScore, FrameResult, InputResult, json_document, write_json
from pel_keras.prediction.scorer import Scorer
from pel_keras.protocol import build_card, card_summary
from pel_keras.testing.browser import ROOT
from pel_keras.testing.ports import free_port
from pel_keras.training.train_config import TrainConfig
from pel_keras.training.workdir import write_settings

CONFIG = PredictConfig(frames=4)


def png_header_only(path, width, height):
    """A valid PNG of ``width`` x ``height`` black 1-bit pixels: a few tens of KB that decode to width x height
    bytes or more (a decompression bomb)."""

    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    packer, row = zlib.compressobj(9), bytes(1 + (width + 7) // 8)
    body = b"".join(packer.compress(row * 1000) for _ in range(height // 1000)) + packer.flush()
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return trained_run.saved_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def model_path(run):
    return str(run.directory / "best.keras")


@pytest.fixture(scope="module")
def service(model_path):
    return ScoringService(model_path, dataclasses.replace(CONFIG, max_megapixels=10))


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("app_media")
    trained_run.write_video(root / "real.mp4", trained_run.frames(False, 6))
    trained_run.write_video(root / "fake.mp4", trained_run.frames(True, 6))
    cv2.imwrite(str(root / "blank.png"), np.full((120, 160, 3), 90, np.uint8))
    cv2.imwrite(str(root / "large.png"), np.zeros((3000, 4000), np.uint8))  # 12 megapixels, a 10 MP limit
    png_header_only(root / "bomb.png", 20000, 20000)
    (root / "notes.txt").write_text("not media")
    (root / "empty.mp4").write_bytes(b"")
    (root / "broken.mp4").write_bytes(b"this is not a video" * 50)
    return root


def uploaded(media, tmp_path, *names):
    """Copies of ``names`` in a temporary folder of their own (as Gradio keeps an upload): ``[(path, name)]``."""
    folder = tmp_path / "upload" / "3f9a0c"
    folder.mkdir(parents=True, exist_ok=True)
    return [(shutil.copy(media / name, folder / name), name) for name in names]


def predict_json(scorer, media, names, monkeypatch, config=CONFIG, model=None):
    """predict.py's --json document for ``names`` given relative to their folder (as a user in it types them)."""
    monkeypatch.chdir(media)
    return json_document(predict(list(names), scorer, config), json_settings(model, config, scorer.image_size))


def test_a_batch_scores_each_good_input_and_says_why_each_bad_one_has_no_score(service, media, tmp_path):
    names = ("real.mp4", "notes.txt", "empty.mp4", "fake.mp4", "broken.mp4", "blank.png", "large.png", "bomb.png")
    analyses = service.analyse(uploaded(media, tmp_path, *names), str(tmp_path / "out"))
    results = {a.result.input: a.result for a in analyses}
    assert list(results) == list(names)
    assert [results[n].verdict for n in ("real.mp4", "fake.mp4")] == ["real", "fake"]
    expected = {
        "notes.txt": ("error", "notes.txt: not a video or an image"),
        "empty.mp4": ("error", "empty.mp4: empty"),
        "broken.mp4": ("error", "broken.mp4: OpenCV cannot open it as a video"),
        "blank.png": ("no_face", "no face found in any of the 1 sampled frames"),
        "large.png": ("error", "large.png: 4000x3000 pixels (12 megapixels) is above the limit of 10 megapixels"),
        "bomb.png": ("error", "bomb.png: 20000x20000 pixels (400 megapixels) is above the limit of 10"),
    }
    for name, (status, words) in expected.items():
        assert results[name].status == status and results[name].reason.startswith(words), results[name].reason
        assert str(tmp_path) not in results[name].reason  # the upload's name, never the server's copy
    assert [len(a.frames) for a in analyses] == [4, 0, 0, 4, 0, 1, 0, 0]


def test_the_json_is_predict_json_for_the_file_as_uploaded(service, model_path, media, tmp_path, monkeypatch):
    [(path, name)] = uploaded(media, tmp_path, "fake.mp4")
    document = service.document(path, name)
    assert document == predict_json(Scorer(model_path), media, [name], monkeypatch, model=model_path)
    assert document["inputs"][0]["input"] == "fake.mp4" and document["inputs"][0]["verdict"] == "fake"


def test_downloads_decide_at_the_page_threshold_without_scoring_again(
    service, model_path, media, tmp_path, monkeypatch
):
    analyses = service.analyse(uploaded(media, tmp_path, "real.mp4", "fake.mp4", "blank.png"), str(tmp_path / "a"))
    results = [a.result for a in analyses]
    scorer = Scorer(model_path)
    monkeypatch.chdir(media)
    for threshold in (0.5, 0.95, 0.01):
        json_path, csv_path = write_downloads(str(tmp_path / f"d{threshold}"), results, service.settings, threshold)
        config = PredictConfig(frames=CONFIG.frames, threshold=threshold)
        reference = write_json(
            str(tmp_path / f"predict{threshold}.json"),
            predict(["real.mp4", "fake.mp4", "blank.png"], scorer, config),
            json_settings(model_path, config, scorer.image_size),
        )
        with open(json_path, "rb") as ours, open(reference, "rb") as theirs:
            assert ours.read() == theirs.read()
    verdicts = [r["verdict"] for r in json.loads(open(json_path).read())["inputs"]]
    assert verdicts == ["fake", "fake", None]  # at 0.01 both videos are fake, the blank image has no score


def test_csv_has_every_face_of_every_frame(service, media, tmp_path):
    results = [a.result for a in service.analyse(uploaded(media, tmp_path, "fake.mp4", "blank.png"), str(tmp_path))]
    rows = csv_rows(results)
    fake = [row for row in rows if row["input"] == "fake.mp4"]
    assert [(row["frame"], row["face"]) for row in fake] == [(frame.frame, 0) for frame in results[0].frames]
    assert [row["probability"] for row in fake] == [frame.faces[0].probability for frame in results[0].frames]
    assert [row["x0"] for row in fake] == [frame.faces[0].box[0] for frame in results[0].frames]
    assert [row for row in rows if row["input"] == "blank.png"] == [{"input": "blank.png", "frame": 0}]


def test_heatmaps_are_predict_heatmaps_and_boxes_take_their_score_colour(
    service, model_path, media, tmp_path, monkeypatch
):
    [analysis] = service.analyse(uploaded(media, tmp_path, "fake.mp4"), str(tmp_path / "out"))
    monkeypatch.chdir(media)
    [reference] = predict(
        ["fake.mp4"],
        Scorer(model_path, heatmaps=True),
        PredictConfig(frames=CONFIG.frames, heatmap_dir=str(tmp_path / "heat")),
    )
    for view, frame in zip(analysis.frames, reference.frames):
        ours, theirs = cv2.imread(view.heatmap).astype(int), cv2.imread(frame.heatmap).astype(int)
        assert ours.shape == theirs.shape and np.abs(ours - theirs).mean() < 2.0  # JPEG against PNG
        boxes, face = cv2.imread(view.boxes)[..., ::-1].astype(int), frame.faces[0]
        x1, y1 = round(face.box[2]), round(face.box[3])
        edge = boxes[(y1 + round(face.box[1])) // 2, x1 - 1 : x1 + 2]  # across the right edge of the box
        assert np.abs(edge - score_color(face.probability)).sum(axis=1).min() < 40
    assert analysis.most_fake_frame() == int(np.argmax([f.faces[0].probability for f in reference.frames]))


def test_progress_goes_through_every_stage_of_every_input(service, media, tmp_path):
    steps = []
    service.analyse(
        uploaded(media, tmp_path, "real.mp4", "notes.txt", "fake.mp4"),
        str(tmp_path / "out"),
        lambda fraction, message: steps.append((fraction, message)),
    )
    fractions = [fraction for fraction, _ in steps]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1
    messages = " | ".join(message for _, message in steps)
    for stage in ("reading frames 1/1", "finding faces 4/4", "scoring faces 4/4", "drawing frames 4/4"):
        assert f"real.mp4 (1 of 3): {stage}" in messages and f"fake.mp4 (3 of 3): {stage}" in messages


def test_a_model_without_heatmaps_scores_as_predict_and_says_why(media, tmp_path, monkeypatch):
    inputs = keras.Input((32, 32, 3))
    brightness = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255.0)(inputs))
    keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(brightness)).export(
        str(tmp_path / "tiny.tflite"), format="litert", verbose=False
    )
    service = ScoringService(str(tmp_path / "tiny.tflite"), CONFIG)
    assert service.heatmaps_note.startswith("not available for a LiteRT / TFLite (.tflite) model")
    [analysis] = service.analyse(uploaded(media, tmp_path, "real.mp4"), str(tmp_path / "out"))
    assert [view.heatmap for view in analysis.frames] == [None] * 4 and analysis.frames[0].boxes
    reference = predict_json(service.scorer, media, ["real.mp4"], monkeypatch, model=str(tmp_path / "tiny.tflite"))
    assert json_document([analysis.result], service.settings) == reference


def test_model_panel_shows_format_crops_training_and_each_evaluation_with_its_auc(model_path, tmp_path):
    run = tmp_path / "run"
    (run / "export").mkdir(parents=True)
    data = tmp_path / "data" / "toy"
    data.mkdir(parents=True)
    (data / "prepare.json").write_text(json.dumps({"frames": 8, "size": 64, "margin": 1.4, "detector": "yunet"}))
    config = TrainConfig(
        workdir=str(run),
        data_dir=str(tmp_path / "data"),
        train_dataset="toy",
        backbone="efficientnet_b0",
        image_size=64,
        epochs=3,
        sbi=True,
    )
    write_settings(config, {})
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 20).astype(np.float32)
    probabilities = np.clip(labels * 0.3 + rng.uniform(0, 0.7, 40), 0, 1).astype(np.float32)
    videos = np.array([f"v{i // 4}" for i in range(40)])
    scores = FrameScores(np.array([f"f{i}" for i in range(40)]), videos, labels, probabilities)
    training = json.loads((run / "config.json").read_text())
    protocol = build_card(training, str(tmp_path / "data"), "best.keras", 64, "test", 0, 0.5, {"toy": "toy"})
    save_evaluation(
        str(run / "eval"), "intra", str(run / "best.keras"), "toy", [Scored("ffpp_c23", scores)], protocol=protocol
    )
    save_evaluation(str(run / "eval"), "cross", str(run / "best.keras"), "toy", [Scored("celebdf", scores)])
    shutil.copy(model_path, run / "export" / "copy.keras")

    card = model_card.model_markdown(str(run / "export" / "copy.keras"), 64, CONFIG, 16, None)
    assert "Keras (.keras), input 64 x 64 px, heatmaps: yes" in card
    assert "cut square at margin 1.3" in card and "4 frames sampled per video" in card
    assert "efficientnet_b0, RGB and frequency streams, 64 px; trained on `toy`, fakes self-blended" in card
    assert "**Training crops** (`prepare.json`): frames 8, size 64, margin 1.4, detector yunet" in card
    frame_auc = roc_auc_score(labels, probabilities)
    video_auc = roc_auc_score(labels[::4], probabilities.reshape(10, 4).mean(axis=1))
    assert f"| intra | `best.keras` | ffpp_c23 | clean | 40 / 10 | {frame_auc:.3f} | {video_auc:.3f} |" in card
    assert f"- intra, `best.keras`: {card_summary(protocol)}" in card and "- cross, `best.keras`: not recorded" in card
    assert "trained on toy (50 frames/video), best.keras picked by val video-level AUC; 64 px crops (yunet" in card
    alone = model_card.model_markdown(model_path, 64, CONFIG, 16, "not available for a test")
    assert "heatmaps: not available for a test" in alone and "none found beside the model" in alone
    assert model_card.model_title(str(run / "export"), 320, "x") == "export, TensorFlow SavedModel, 320 px, no heatmaps"


def test_a_video_above_the_pixel_limit_is_refused_before_decoding(model_path, media, tmp_path):
    service = ScoringService(model_path, dataclasses.replace(CONFIG, max_megapixels=0.02))  # videos are 192 x 144
    [(path, name)] = uploaded(media, tmp_path, "real.mp4")
    result = service.score(path, name)
    assert (result.status, result.reason.split(",")[0]) == (
        "error",
        "real.mp4: 192x144 pixels (0.0276 megapixels) is above the limit of 0.02 megapixels",
    )
    assert "raise --max_megapixels" in result.reason


def test_the_plot_draws_the_largest_face_others_dimmed_frames_without_face_and_the_lines():
    faces = [FaceScore((0, 0, 9, 9), 0.9, 0.7), FaceScore((0, 0, 4, 4), 0.8, 0.2)]
    result = InputResult(
        "a.mp4", "video", "ok", None, [FrameResult(0, faces), FrameResult(5, []), FrameResult(9, faces[:1])], 0.5
    )
    axes = score_plot(result, 0.4).axes[0]
    largest, threshold, score = axes.lines
    assert list(largest.get_xdata()) == [0, 5, 9] and np.allclose(
        largest.get_ydata(), [0.7, np.nan, 0.7], equal_nan=True
    )
    assert threshold.get_ydata()[0] == 0.4 and score.get_ydata()[0] == pytest.approx(0.7)
    dots = {collection.get_label(): collection.get_offsets().tolist() for collection in axes.collections}
    assert dots["other faces"] == [[0, 0.2]] and dots["no face"] == [[5, 0.0]]
    largest_dots = axes.collections[0]  # coloured on the boxes' scale, 0..1
    assert np.allclose(largest_dots.get_array(), [0.7, np.nan, 0.7], equal_nan=True)
    for value in (0.0, 0.7, 1.0):
        assert np.allclose(np.array(largest_dots.to_rgba(value)[:3]) * 255, score_color(value), atol=1)


def test_ctrl_c_stops_the_app_started_with_sigint_ignored(model_path):
    """A shell without job control starts a background command with SIGINT ignored; app.py stops on it all the
    same, with status 0."""
    app = subprocess.Popen(
        [sys.executable, "app.py", f"--model={model_path}", f"--port={free_port()}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    output = []
    for line in app.stdout:
        output.append(line)
        if "PEL app running at " in line:
            break
    app.send_signal(signal.SIGINT)
    try:
        status = app.wait(timeout=120)
    finally:
        app.kill()  # still running: the test fails, without leaving the app behind
    output += app.stdout.readlines()
    assert status == 0 and "stopped\n" in output, "".join(output[-40:])
