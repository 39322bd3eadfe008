"""Scores videos and images with a trained PEL model (or its SavedModel / .tflite / .onnx export).

    python predict.py clip.mp4 photo.jpg clips/ --model=RUN/best.keras
    python predict.py clip.mp4 --model=RUN/best.keras --json=results.json --heatmap=heatmaps/
    python predict.py frames/000/ --sequences --model=RUN/export/pel_fp32.tflite --threshold=0.7

Each INPUT is a video, an image or a folder of them. For each: the faces found, every face's fake
probability per sampled frame, the video's score (mean over frames of the largest face's probability)
and the verdict. Exit status 0 when every input was scored, 1 when any could not be read or showed no
face (each is reported with its reason; the others are still scored), 2 for a bad model or flag.
docs/prediction.md describes the JSON file and the heatmaps.
"""

import os
import sys

from absl import app, flags

from pel_keras import cli
from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_FLOOR, MAX_MEGAPIXELS_HELP
from pel_keras.data.faces import DETECTORS
from pel_keras.inference.crop_settings import DETECTOR_HELP, MARGIN_HELP, crop_settings
from pel_keras.inference.predictors import TRUST_MODEL_HELP, ModelError
from pel_keras.prediction.predict import PredictConfig, json_settings, predict
from pel_keras.prediction.results import OK, lines, write_json
from pel_keras.prediction.scorer import Scorer

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "RUN/best.keras, a SavedModel folder, a .tflite or an .onnx file.")
flags.DEFINE_bool("trust_model", False, TRUST_MODEL_HELP)
flags.DEFINE_integer("frames", 32, "Frames sampled per video (or frame folder) at equal intervals.", lower_bound=1)
flags.DEFINE_float("threshold", 0.5, "A score above this is called fake.", lower_bound=0, upper_bound=1)
flags.DEFINE_string("json", None, "Write the results, frame by frame, to this JSON file.")
flags.DEFINE_string(
    "heatmap",
    None,
    "Write every frame with a face, class activation maps overlaid, into this "
    "folder (DIR/<input>/<frame>.png); needs the .keras model.",
)
flags.DEFINE_enum("detector", None, sorted(DETECTORS), DETECTOR_HELP)
flags.DEFINE_float("margin", None, MARGIN_HELP, lower_bound=1)
flags.DEFINE_integer("batch_size", 32, "Face crops per model call.", lower_bound=1)
flags.DEFINE_integer("image_size", None, "Crop side, only for a model whose input size is dynamic.", lower_bound=1)
flags.DEFINE_bool("sequences", False, "A folder of images is one video (its frames), not a set of images.")
flags.DEFINE_float("max_megapixels", DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_HELP, lower_bound=MAX_MEGAPIXELS_FLOOR)
flags.mark_flag_as_required("model")


def main(argv):
    inputs = argv[1:]
    if not inputs:
        raise app.UsageError("name at least one INPUT (a video, an image or a folder)")
    # YuNet's OpenMP threads collapse when cores are shared with TensorFlow's (see docs/decisions.md).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        crops = crop_settings(FLAGS.model, FLAGS.margin, FLAGS.detector)
        print(f"Face crops: margin {crops.margin:g}, detector {crops.detector} ({crops.source})", file=sys.stderr)
        config = PredictConfig(
            frames=FLAGS.frames,
            threshold=FLAGS.threshold,
            detector=crops.detector,
            margin=crops.margin,
            heatmap_dir=FLAGS.heatmap,
            sequences=FLAGS.sequences,
            max_megapixels=FLAGS.max_megapixels,
        )
        scorer = Scorer(
            FLAGS.model,
            heatmaps=FLAGS.heatmap is not None,
            batch_size=FLAGS.batch_size,
            image_size=FLAGS.image_size,
            trusted=FLAGS.trust_model,
        )
    except (ModelError, FileNotFoundError, ValueError) as error:
        return cli.fail(error)
    results = predict(inputs, scorer, config, on_result=lambda result: print("\n".join(lines(result)), flush=True))
    if FLAGS.json:
        write_json(FLAGS.json, results, json_settings(FLAGS.model, config, scorer.image_size))
    failed = [result for result in results if result.status != OK]
    print(f"{len(results)} inputs: {len(results) - len(failed)} scored, {len(failed)} without a score")
    return cli.FAILED if failed else cli.OK


if __name__ == "__main__":
    cli.run(main)
