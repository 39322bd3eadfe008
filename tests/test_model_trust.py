"""Model files that run code of their own are refused unless the user trusts them (--trust_model): a SavedModel
whose serving signature writes a file, a .tflite with Flex operators. The formats that load by default run
only their runtime's own operators: an .onnx file cannot bring code, nor read files outside its folder."""

import os

import cv2
import evaluation_runs
import numpy as np
import onnx
import pytest
import tensorflow as tf
from onnx import TensorProto, helper

from pel_keras.inference.predictors import ModelError, UntrustedModelError, load_predictor
from pel_keras.testing.scripts import run_script

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = evaluation_runs.SIZE


class _WritesAFile(tf.Module):
    """A serving signature that answers 0.5 and, on the side, writes ``target``."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    @tf.function(input_signature=[tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32, name="images")])
    def serve(self, images):
        tf.io.write_file(self.target, "written by the model file")
        return {"fake_probability": tf.fill([tf.shape(images)[0], 1], 0.5)}


@pytest.fixture(scope="module")
def malicious(tmp_path_factory):
    """``(SavedModel folder, the file it writes when it runs)``."""
    root = tmp_path_factory.mktemp("malicious")
    target = str(root / "written_by_the_model.txt")
    module = _WritesAFile(target)
    tf.saved_model.save(module, str(root / "saved_model"), signatures={"serving_default": module.serve})
    return str(root / "saved_model"), target


def test_a_savedmodel_that_writes_a_file_is_refused_unless_trusted(malicious):
    folder, target = malicious
    with pytest.raises(UntrustedModelError, match="a SavedModel runs the TensorFlow graph stored in it") as refused:
        load_predictor(folder)
    assert "--trust_model" in str(refused.value) and folder in str(refused.value)
    assert not os.path.exists(target)
    probabilities = load_predictor(folder, trusted=True)(np.zeros((2, SIZE, SIZE, 3), np.float32))
    np.testing.assert_array_equal(probabilities, [0.5, 0.5])
    assert open(target).read() == "written by the model file"  # what the refusal kept from happening
    os.remove(target)


def _run(args):
    """Runs the entry script ``args[0]`` (a path below the repository) with the rest as its arguments."""
    return run_script(os.path.join(REPO, args[0]), *args[1:])


@pytest.mark.slow
def test_predict_and_evaluate_load_a_savedmodel_only_with_trust_model(malicious, tmp_path):
    folder, target = malicious
    crop = str(tmp_path / "face.png")
    cv2.imwrite(crop, evaluation_runs.face_crop(0, 0, 0)[..., ::-1])
    data_dir = tmp_path / "data"
    evaluation_runs.write_prepared(data_dir, "ffpp_c40", [("youtube/000", 0, "test"), ("Deepfakes/000_001", 1, "test")])
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text(
        f'{{"data_dir": "{data_dir}", "train_dataset": "ffpp_c40", "image_size": {SIZE}}}'
    )
    commands = {
        "predict.py": ["predict.py", crop, f"--model={folder}", "--detector=none"],
        "evaluate.py": ["evaluate.py", f"--workdir={tmp_path / 'run'}", f"--model={folder}", "--noprogress"],
    }
    for script, command in commands.items():
        refused = _run(command)
        assert refused.returncode == 2, (script, refused.stdout, refused.stderr[-2000:])
        assert "runs the TensorFlow graph stored in it" in refused.stderr and "--trust_model" in refused.stderr, script
        assert not os.path.exists(target), script
        trusted = _run([*command, "--trust_model"])
        assert trusted.returncode == 0, (script, trusted.stderr[-2000:])
        assert os.path.exists(target), script
        os.remove(target)


@pytest.fixture(scope="module")
def flex_tflite(tmp_path_factory):
    """``(.tflite whose Flex WriteFile operator writes a file, that file)``: what TensorFlow's own Select TF ops
    let a .tflite do where a Flex delegate is linked in."""
    root = tmp_path_factory.mktemp("flex")
    module = _WritesAFile(str(root / "written_by_the_model.txt"))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([module.serve.get_concrete_function()], module)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    path = root / "flex.tflite"
    path.write_bytes(converter.convert())
    return str(path), module.target


def test_a_tflite_with_flex_operators_is_refused_unless_trusted(flex_tflite):
    path, target = flex_tflite
    with pytest.raises(UntrustedModelError, match=r"not LiteRT builtins \(FlexWriteFile\)") as refused:
        load_predictor(path)
    assert "--trust_model" in str(refused.value)
    # Trusted, it reaches LiteRT, which has no Flex delegate here and cannot run it either.
    with pytest.raises(ModelError, match="flex.tflite: could not load"):
        load_predictor(path, trusted=True)
    assert not os.path.exists(target)


def test_the_edge_predictor_refuses_it_naming_the_flag(flex_tflite, tmp_path):
    path, target = flex_tflite
    crop = str(tmp_path / "face.png")
    cv2.imwrite(crop, evaluation_runs.face_crop(0, 0, 0)[..., ::-1])
    refused = _run(["export/edge_predict.py", f"--model={path}", "--detector=none", crop])
    assert refused.returncode == 2 and "FlexWriteFile" in refused.stderr and "--trust_model" in refused.stderr
    assert not os.path.exists(target)


def _onnx(folder, name, node, initializers=(), domains=()):
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        list(initializers),
    )
    opsets = [helper.make_opsetid("", 17), *(helper.make_opsetid(domain, 1) for domain in domains)]
    path = folder / name
    onnx.save(helper.make_model(graph, opset_imports=opsets, ir_version=8), path)
    return path


def test_an_onnx_file_cannot_bring_operators_or_read_files_outside_its_folder(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    custom = _onnx(
        folder, "custom.onnx", helper.make_node("WriteFile", ["x"], ["y"], domain="evil.ops"), domains=["evil.ops"]
    )
    with pytest.raises(
        ModelError, match=r"custom.onnx: could not load: .*evil.ops:WriteFile\(-1\) is not a registered"
    ):
        load_predictor(custom)
    (tmp_path / "secret.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    weights = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4], data_location=TensorProto.EXTERNAL)
    weights.external_data.add(key="location", value="../secret.bin")
    reader = _onnx(folder, "reader.onnx", helper.make_node("Add", ["x", "w"], ["y"]), [weights])
    with pytest.raises(ModelError, match="reader.onnx: could not load: .*escapes model directory"):
        load_predictor(reader)


def test_the_app_loads_a_savedmodel_only_when_trusted(malicious):
    from pel_keras.app.service import ScoringService
    from pel_keras.prediction.predict import PredictConfig

    folder, target = malicious
    config = PredictConfig(frames=1, detector="none")
    with pytest.raises(UntrustedModelError, match="--trust_model"):
        ScoringService(folder, config)
    service = ScoringService(folder, config, trusted=True)
    assert service.scorer.image_size == SIZE and not os.path.exists(target)  # loaded, not yet run
