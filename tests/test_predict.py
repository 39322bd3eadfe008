"""predict.py on a small trained PEL model: videos, images, folders, several faces, bad inputs, heatmaps."""

import json
import os

import cv2
import keras
import numpy as np
import peak_memory
import pytest
import trained_run

from pel_keras.data.faces import crop_face, detect_faces, make_detector, square_box
from pel_keras.data.video import sample_frames
from pel_keras.inference.predictors import ModelError
from pel_keras.prediction.inputs import expand_inputs
from pel_keras.prediction.predict import DETECTING, READING, SCORING, PredictConfig, predict, predict_input
from pel_keras.prediction.scorer import Scorer
from pel_keras.testing import data_media
from pel_keras.testing.scripts import run_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def two_faces():
    """A BGR picture with a large and a small face, the large one on the right."""
    canvas = np.full((300, 480, 3), 128, np.uint8)
    astronaut, hopper = data_media.faces()
    canvas[20 : 20 + 92, 20 : 20 + 84] = cv2.resize(astronaut, (84, 92))
    canvas[20 : 20 + 250, 200 : 200 + 230] = cv2.resize(hopper, (230, 250))
    return canvas


def rgb_crops(bgr, size):
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    faces = detect_faces(rgb, make_detector("yunet"), channels="rgb")
    return faces, np.stack([crop_face(rgb, face, size)[0] for face in faces]).astype(np.float32)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return trained_run.saved_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def scorer(run):
    return Scorer(str(run.directory / "best.keras"))


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    trained_run.write_video(root / "real.mp4", trained_run.frames(False, 6))
    trained_run.write_video(root / "fake.mp4", trained_run.frames(True, 6))
    (root / "photos").mkdir()
    cv2.imwrite(str(root / "photos" / "two_faces.png"), two_faces())
    cv2.imwrite(str(root / "photos" / "blank.png"), np.full((120, 160, 3), 90, np.uint8))
    (root / "broken.mp4").write_bytes(b"this is not a video" * 50)
    return root


def check_heatmaps(result, video):
    """Each heatmap is its frame with the map over the face's crop square and nothing far from it changed."""
    decoded = dict(sample_frames(str(video), len(result["frames"])))
    for frame in result["frames"]:
        drawn, original = cv2.imread(frame["heatmap"]), decoded[frame["frame"]]
        assert drawn.shape == original.shape and drawn.std() > 10
        left, top, side = square_box(frame["faces"][0]["box"], 1.3)
        assert np.abs(drawn.astype(int) - original)[max(top, 0) : top + side, max(left, 0) : left + side].mean() > 20
        assert np.array_equal(drawn[:, -10:], original[:, -10:])


def test_cli_scores_each_input_reports_failures_and_writes_json_and_heatmaps(run, media, tmp_path):
    inputs = [media / "real.mp4", media / "fake.mp4", media / "photos", media / "broken.mp4"]
    done = run_script(
        os.path.join(ROOT, "predict.py"),
        *inputs,
        f"--model={run.directory / 'best.keras'}",
        "--frames=4",
        f"--json={tmp_path / 'out.json'}",
        f"--heatmap={tmp_path / 'heat'}",
    )
    assert done.returncode == 1, done.stderr[-3000:]
    report = json.loads((tmp_path / "out.json").read_text())
    results = {os.path.basename(r["input"]): r for r in report["inputs"]}
    assert list(results) == ["real.mp4", "fake.mp4", "blank.png", "two_faces.png", "broken.mp4"]
    assert report["image_size"] == trained_run.IMAGE_SIZE and report["threshold"] == 0.5
    for name, verdict in (("real.mp4", "real"), ("fake.mp4", "fake")):
        result = results[name]
        assert (result["status"], result["verdict"], result["frames_sampled"]) == ("ok", verdict, 4)
        assert result["score"] == pytest.approx(np.mean([f["faces"][0]["probability"] for f in result["frames"]]))
        check_heatmaps(result, media / name)
    assert results["fake.mp4"]["score"] > results["real.mp4"]["score"] + 0.3
    pair = results["two_faces.png"]
    assert pair["faces"] == 2 and pair["score"] == pair["frames"][0]["faces"][0]["probability"]
    for name, status, words in (("blank.png", "no_face", "no face found"), ("broken.mp4", "error", "broken.mp4")):
        assert (results[name]["status"], results[name]["score"], results[name]["verdict"]) == (status, None, None)
        assert words in results[name]["reason"] and f"{name}: no score" in done.stdout
    assert results["blank.png"]["frames"] == [{"frame": 0, "faces": [], "heatmap": None}]
    assert "5 inputs: 3 scored, 2 without a score" in done.stdout


def test_every_face_is_scored_in_rgb_and_the_largest_gives_the_score(run, scorer, media):
    [result] = predict([str(media / "photos" / "two_faces.png")], scorer, PredictConfig(threshold=0.2))
    faces, crops = rgb_crops(two_faces(), trained_run.IMAGE_SIZE)
    [frame] = result.frames
    assert [face.box for face in frame.faces] == [face.box for face in faces]
    np.testing.assert_allclose(
        [face.probability for face in frame.faces], run.model(crops, training=False).numpy()[:, 0], atol=1e-5
    )
    assert result.score == frame.faces[0].probability != frame.faces[1].probability
    assert result.verdict == ("fake" if result.score > 0.2 else "real")


def test_heatmaps_need_the_keras_model(scorer, tmp_path):
    with pytest.raises(ModelError, match="model.tflite: --heatmap needs the .keras model"):
        Scorer(str(tmp_path / "model.tflite"), heatmaps=True)
    with pytest.raises(ValueError, match="heatmaps=True"):
        predict([str(tmp_path)], scorer, PredictConfig(heatmap_dir=str(tmp_path / "heat")))


def test_a_tflite_model_scores_through_the_same_path(media, tmp_path):
    inputs = keras.Input((32, 32, 3))
    brightness = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255.0)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(brightness))
    model.export(str(tmp_path / "tiny.tflite"), format="litert", verbose=False)
    [result] = predict(
        [str(media / "photos" / "two_faces.png")], Scorer(str(tmp_path / "tiny.tflite")), PredictConfig()
    )
    _, crops = rgb_crops(two_faces(), 32)
    np.testing.assert_allclose(
        [face.probability for face in result.frames[0].faces], model.predict_on_batch(crops)[:, 0], atol=1e-5
    )


def test_predict_input_reports_each_stage_and_hands_over_frames_and_maps(run, media, tmp_path):
    scorer = Scorer(str(run.directory / "best.keras"), heatmaps=True, batch_size=3)
    [item] = expand_inputs([str(media / "fake.mp4")])
    stages, handed = [], []
    result = predict_input(
        item,
        scorer,
        make_detector("yunet"),
        PredictConfig(frames=5),
        lambda *step: stages.append(step),
        lambda *frames: handed.append(frames),
    )
    assert stages == [
        (READING, 0, 1),
        (READING, 1, 1),
        *[(DETECTING, i, 5) for i in range(1, 6)],
        (SCORING, 3, 5),
        (SCORING, 5, 5),
    ]
    [(detections, maps)] = handed
    decoded = sample_frames(str(media / "fake.mp4"), 5)
    assert [index for index, _, _ in detections] == [frame.frame for frame in result.frames] == [i for i, _ in decoded]
    for (_, rgb, faces), frame_maps, (_, bgr), frame in zip(detections, maps, decoded, result.frames):
        assert np.array_equal(rgb, bgr[..., ::-1])
        assert [face.box for face in faces] == [face.box for face in frame.faces]
        assert frame_maps.shape == (len(faces), 2, 2) and 0 <= frame_maps.min() <= frame_maps.max() <= 1
    without = predict_input(
        item,
        Scorer(str(run.directory / "best.keras"), batch_size=3),
        make_detector("yunet"),
        PredictConfig(frames=5),
        on_frames=lambda *frames: handed.append(frames),
    )
    assert handed[-1][1] == [None] * 5 and without.to_dict() == result.to_dict()


def test_cli_refuses_a_decompression_bomb_from_its_header_and_scores_a_gif_in_a_folder(run, tmp_path):
    bomb = data_media.write_png_bomb(str(tmp_path / "bomb.png"))  # 48 KB, 20000x20000 pixels
    folder = tmp_path / "clips"
    folder.mkdir()
    assert cv2.imwritemulti(str(folder / "clip.gif"), trained_run.frames(False, 4))
    (folder / "notes.txt").write_text("not media")
    done, peak = peak_memory.run_script(
        "predict.py", [bomb, folder, f"--model={run.directory / 'best.keras'}", "--frames=2"], cwd=ROOT
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert (
        f"{bomb}: no score (error): {bomb}: 20000x20000 pixels (400 megapixels) is above the limit of 50 megapixels"
    ) in done.stdout and "raise --max_megapixels" in done.stdout
    assert f"{folder / 'clip.gif'}: REAL score" in done.stdout  # a GIF in a folder is a video, scored
    assert f"{folder / 'notes.txt'}: skipped: not a media file (extension .txt)" in done.stderr
    assert peak < 2000, peak  # 4207 MB before the header check (780 MB to load the model and score a photo)
