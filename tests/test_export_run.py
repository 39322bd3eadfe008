"""``export/export.py`` end to end on a small mixed-precision run (PEL B0 at 64 px): the files, their
signatures and contract, parity with Keras measured here with each runtime's own API, and the edge
predictor with TensorFlow unimportable."""

import json
import os
import shutil
import subprocess
import sys
import types

import cv2
import keras
import numpy as np
import onnx
import onnxruntime
import peak_memory
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from killed_writer import kill_while_writing, snapshot
from skimage import data

import pel_keras
from pel_keras.data.faces import crop_face, detect_faces, make_detector
from pel_keras.data.video import sample_frames
from pel_keras.testing import data_media
from pel_keras.testing.export_helpers import SIZE, face_crops, make_run
from pel_keras.testing.scripts import run_script

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TFLITES = ("pel_fp32.tflite", "pel_fp16.tflite", "pel_int8.tflite")
SIGNATURE = {"serving_default": {"inputs": ["images"], "outputs": ["fake_probability"]}}


def _run(args, **kwargs):
    """``python args`` in a fresh interpreter (for the tests where the process is the point)."""
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, **kwargs)


def _script(args):
    """The entry script ``args[0]`` (below the repository) run in this process with the rest as arguments."""
    return run_script(os.path.join(REPO, args[0]), *args[1:])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = make_run(str(tmp_path_factory.mktemp("export")))
    result = _script(["export/export.py", f"--workdir={workdir}", "--calibration_images=16", "--parity_images=8"])
    assert result.returncode == 0, result.stdout + result.stderr
    out = os.path.join(workdir, "export")
    with open(os.path.join(out, "export_report.json")) as f:
        report = json.load(f)
    saved = pel_keras.load_model(os.path.join(workdir, "best.keras"))
    float32 = pel_keras.build_model("efficientnet_b0", image_size=SIZE, weights=None)  # rebuilt independently
    float32.set_weights(saved.get_weights())
    return types.SimpleNamespace(workdir=workdir, out=out, report=report, stdout=result.stdout, keras=float32)


def _images():
    """Real face crops unlike the run's data: other shifts and scales of the sample faces; and which face
    each shows (the run's label)."""
    crops = np.stack([c[..., ::-1] for c in face_crops(8, seed=7)]).astype(np.float32)
    assert crops.std() > 20
    return crops, np.arange(8) % 2


def _in_batches(call, images, batch):
    return np.concatenate([np.asarray(call(images[i : i + batch])).reshape(-1) for i in range(0, len(images), batch)])


def _tflite_call(path):
    runner = Interpreter(model_path=path, num_threads=2).get_signature_runner("serving_default")
    return lambda images: runner(images=images)["fake_probability"]


def test_writes_every_file_and_a_report_with_the_app_contract(run):
    report = run.report
    assert sorted(os.listdir(run.out)) == sorted(["saved_model", "pel.onnx", "export_report.json", *TFLITES])
    assert set(report["files"]) == {"savedmodel", "onnx", "tflite_fp32", "tflite_fp16", "tflite_int8"}
    assert report["files"]["tflite_fp32"]["bytes"] == os.path.getsize(os.path.join(run.out, "pel_fp32.tflite"))
    stored = tf.train.list_variables(os.path.join(run.out, "saved_model", "variables", "variables"))
    weights = [shape for name, shape in stored if name != "_CHECKPOINTABLE_OBJECT_GRAPH"]
    # Each weight once (stored twice was 2x); a few values the inference function never reads are left out.
    assert 0.999 * run.keras.count_params() <= sum(int(np.prod(shape)) for shape in weights) <= run.keras.count_params()
    contract = report["contract"]["input"]
    assert contract["name"] == "images" and contract["shape"] == ["batch", SIZE, SIZE, 3]
    assert (contract["dtype"], contract["value_range"], contract["colour_order"]) == ("float32", [0.0, 255.0], "RGB")
    assert (contract["crop_margin"], contract["face_detector"]) == (1.4, "yunet")  # from the data's prepare.json
    assert report["contract"]["output"]["name"] == "fake_probability"
    assert report["model"]["saved_policy"] == "mixed_bfloat16" and "float32 rebuild" in run.stdout
    assert report["int8_calibration"]["split"] == "train" and report["int8_calibration"]["images"] == 16


def test_report_parity_holds_on_real_faces_and_measures_the_quantized_files(run):
    parity = run.report["parity"]
    assert run.report["passed"] is True
    assert parity["inputs"] == {
        "sample_faces": 8,
        "manifest": parity["inputs"]["manifest"],
        "split": "val",
        "manifest_images": 8,
    }
    assert parity["images"] == 16 and parity["reference_auc"] is not None
    for name in ("savedmodel", "tflite_fp32", "onnx"):
        row = parity["files"][name]
        assert row["within_tolerance"] is True and max(row["max_abs_diff"].values()) <= 1e-4, name
    # The run's classifier tells the two faces of the val crops apart (their labels), so the AUC is 1 and
    # rounding that reorders a real and a fake crop shows as a lower AUC.
    assert parity["reference_auc"] == 1.0
    fp16, int8 = parity["files"]["tflite_fp16"], parity["files"]["tflite_int8"]
    bfloat16 = parity["files"]["keras_mixed_bfloat16"]  # the model as trained, against its float32 rebuild
    for row in (fp16, int8, bfloat16):
        assert row["tolerance"] is None and row["within_tolerance"] is None and row["auc"] == 1.0
    # The quantized files meet their criterion: the ranking, the AUC and every verdict kept (the PEL features
    # behind the probe move by less than int8's rounding changes the order of faces).
    for row in (fp16, int8):
        quantized = row["quantized"]
        assert row["passed"] and quantized["passed"] and quantized["failures"] == [], quantized
        assert quantized["rank_correlation"] >= 0.95 and quantized["verdict_flips"] == 0
        assert quantized["auc_drop"] == 0 and quantized["criterion"]["min_rank_correlation"] == 0.95
    assert bfloat16["quantized"] is None and bfloat16["passed"] is None  # the model as trained: measured
    assert "criterion met" in run.stdout
    # Bounds: the class means sit 6 logits apart (export_helpers.fit_classifier). fp16 weights keep 11
    # significant bits and move no probability by more than a few 1e-3. int8 activations (8 bits) and
    # bfloat16 (8 significant bits, every activation rounded) moved it by at most 0.11 and 0.05 over 7
    # initialisations; 0.2 and 0.1 are about twice that and far below what a wrong scale, a lost weight or a
    # stale copy gives (answers unrelated to the face, off by up to 1). Above 0: each file really is rounded.
    assert 0 < max(fp16["max_abs_diff"].values()) < 0.02
    assert 0 < max(int8["max_abs_diff"].values()) < 0.2
    assert 0 < max(bfloat16["max_abs_diff"].values()) < 0.1


def test_fp32_files_match_keras_within_1e4_at_batch_1_and_4_in_their_runtimes(run):
    images, _ = _images()
    expected = run.keras.predict(images, verbose=0).reshape(-1)
    assert expected.std() > 0.1  # spread probabilities, so a wrong export cannot hide at 0.5
    signature = tf.saved_model.load(os.path.join(run.out, "saved_model")).signatures["serving_default"]
    session = onnxruntime.InferenceSession(os.path.join(run.out, "pel.onnx"))
    calls = {
        "saved_model": lambda x: signature(images=tf.constant(x))["fake_probability"].numpy(),
        "tflite": _tflite_call(os.path.join(run.out, "pel_fp32.tflite")),
        "onnx": lambda x: session.run(["fake_probability"], {"images": x})[0],
    }
    for name, call in calls.items():
        for batch in (1, 4):
            np.testing.assert_allclose(_in_batches(call, images, batch), expected, atol=1e-4, err_msg=name)


def test_tflite_files_carry_the_signature_and_run_in_litert_without_select_ops(run):
    images, faces = _images()
    expected = run.keras.predict(images, verbose=0).reshape(-1)
    sizes = {}
    for name in TFLITES:
        path = os.path.join(run.out, name)
        assert Interpreter(model_path=path).get_signature_list() == SIGNATURE
        outputs = _tflite_call(path)(images).reshape(-1)  # ai_edge_litert has no Flex delegate
        # Follows Keras on new crops of the two faces, int8 included: the classifier reads what tells the
        # faces apart, so int8 rounding moves each answer by ~0.1 at most (correlation >= 0.995 over 7
        # initialisations) and keeps every crop of one face above every crop of the other.
        assert np.corrcoef(outputs, expected)[0, 1] > (0.97 if "int8" in name else 0.999), name
        assert outputs[faces == 1].min() > outputs[faces == 0].max(), name
        sizes[name] = os.path.getsize(path)
    assert sizes["pel_fp16.tflite"] < 0.6 * sizes["pel_fp32.tflite"]
    assert sizes["pel_int8.tflite"] < 0.4 * sizes["pel_fp32.tflite"]


def test_int8_file_is_full_integer_inside_with_float_input_and_output(run):
    details = run.report["files"]["tflite_int8"]
    assert details["inputs"]["images"]["dtype"] == "float32"
    assert details["outputs"]["fake_probability"]["dtype"] == "float32"
    counts = details["tensor_dtypes"]
    assert counts["int8"] > 10 * counts.get("float32", 0)
    interpreter = Interpreter(model_path=os.path.join(run.out, "pel_int8.tflite"))
    floats = [t for t in interpreter.get_tensor_details() if t["dtype"] == np.float32]
    assert len(floats) == 2  # only the float input and output, around one QUANTIZE and one DEQUANTIZE


def test_saved_model_reloads_as_a_keras_layer(run):
    images = _images()[0][:3]
    layer = keras.layers.TFSMLayer(os.path.join(run.out, "saved_model"), call_endpoint="serve")
    outputs = layer(images)["fake_probability"]
    np.testing.assert_allclose(outputs, run.keras.predict(images, verbose=0), atol=1e-4)


def test_onnx_file_has_the_named_dynamic_batch_contract_at_opset_17(run):
    path = os.path.join(run.out, "pel.onnx")
    assert {entry.domain: entry.version for entry in onnx.load(path).opset_import}[""] == 17
    session = onnxruntime.InferenceSession(path)
    (source,), (target,) = session.get_inputs(), session.get_outputs()
    assert (source.name, source.type, source.shape[1:]) == ("images", "tensor(float)", [SIZE, SIZE, 3])
    assert isinstance(source.shape[0], str) and target.name == "fake_probability"


def _poisoned_path(folder):
    """A PYTHONPATH entry whose tensorflow and keras packages raise ImportError on import."""
    for name in ("tensorflow", "keras", "tf_keras"):
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        with open(os.path.join(folder, name, "__init__.py"), "w") as f:
            f.write(f"raise ImportError('{name} is blocked in this test')\n")
    return folder


def _expected_edge(path, model, margin):
    """Per-frame probabilities the edge predictor should print, computed here with Keras."""
    detector, expected = make_detector("yunet"), []
    for index, frame in sample_frames(path, 16):
        faces = detect_faces(frame, detector)
        if not faces:
            expected.append((index, None))
            continue
        crop, _ = crop_face(frame, faces[0], SIZE, margin)
        expected.append((index, float(model.predict(crop[None, ..., ::-1].astype(np.float32), verbose=0)[0, 0])))
    return expected


def test_edge_predictor_runs_without_tensorflow_and_gives_the_keras_answers(run, tmp_path):
    photo = str(tmp_path / "astronaut.png")
    cv2.imwrite(photo, cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    video = data_media.write_video(str(tmp_path / "clip.avi"), num_frames=6, size=(320, 240), face=1, no_face=(2,))
    env = dict(os.environ, PYTHONPATH=_poisoned_path(str(tmp_path / "blocked")))
    assert _run(["-c", "import tensorflow"], env=env).returncode != 0  # the block works
    result = _run(["export/edge_predict.py", f"--model={run.out}/pel_fp32.tflite", "--json", photo, video], env=env)
    assert result.returncode == 0, result.stderr
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [entry["media"] for entry in printed] == [photo, video]
    for entry in printed:
        expected = _expected_edge(entry["media"], run.keras, margin=1.4)
        assert [frame["frame"] for frame in entry["frames"]] == [index for index, _ in expected]
        for frame, (_, probability) in zip(entry["frames"], expected):
            assert (frame["fake_probability"] is None) == (probability is None)
            if probability is not None:
                assert abs(frame["fake_probability"] - probability) < 1e-4
        found = [p for _, p in expected if p is not None]
        assert abs(entry["fake_probability"] - np.mean(found)) < 1e-4
    assert printed[1]["frames"][2]["fake_probability"] is None  # the frame without a face


def test_edge_predictor_exits_1_when_no_face_is_found(run, tmp_path):
    empty = str(tmp_path / "wall.png")
    cv2.imwrite(empty, data_media.frame(0, with_face=False))
    result = _script(["export/edge_predict.py", f"--model={run.out}/pel_int8.tflite", empty])
    assert result.returncode == 1 and "no face found" in result.stdout


def _face_photo(folder):
    path = os.path.join(folder, "astronaut.png")
    cv2.imwrite(path, cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


@pytest.mark.parametrize("model", ["../best.keras", "saved_model", *TFLITES, "pel.onnx"])
def test_every_exported_format_goes_through_predict_json(run, model, tmp_path):
    photo, output = _face_photo(str(tmp_path)), str(tmp_path / "results.json")
    trust = ["--trust_model"] if model == "saved_model" else []  # its own export: a graph this test trusts
    result = _script(["predict.py", photo, f"--model={os.path.join(run.out, model)}", f"--json={output}", *trust])
    assert result.returncode == 0, result.stderr[-3000:]
    with open(output) as f:
        document = json.load(f)
    assert document["image_size"] == SIZE and document["model"].endswith(model.lstrip("./"))
    [scored] = document["inputs"]
    assert scored["status"] == "ok" and 0 <= scored["score"] <= 1 and scored["verdict"] in ("real", "fake")


def test_an_export_killed_mid_way_leaves_the_previous_export_whole(run):
    before = snapshot(run.out)
    kill_while_writing(
        ["export/export.py", f"--workdir={run.workdir}", "--calibration_images=16", "--parity_images=8"], run.out
    )
    leftovers = [os.path.join(run.out, name) for name in os.listdir(run.out) if name.startswith(".")]
    assert leftovers and all(".pel-tmp" in name for name in leftovers)  # the killed writer's temporaries
    for path in leftovers:
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    assert snapshot(run.out) == before


def test_edge_predictor_refuses_a_decompression_bomb_from_its_header(run, tmp_path):
    bomb = data_media.write_png_bomb(str(tmp_path / "bomb.png"))
    photo = _face_photo(str(tmp_path))
    env = dict(os.environ, PYTHONPATH=_poisoned_path(str(tmp_path / "blocked")))
    done, peak = peak_memory.run_script(
        "export/edge_predict.py", [f"--model={run.out}/pel_fp32.tflite", bomb, photo], cwd=REPO, env=env
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert (
        f"edge_predict.py: {bomb}: 20000x20000 pixels (400 megapixels) is above the limit of 50 megapixels"
        in done.stderr
    ) and "raise --max_megapixels" in done.stderr
    assert f"{photo}  overall fake probability" in done.stdout
    assert peak < 600, peak  # 2345 MB before the header check, with a 2 KB .tflite (73 MB for a photo)
