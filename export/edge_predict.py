"""Is this face fake? Scores an image or a video with an exported .tflite model, without TensorFlow.

    python export/edge_predict.py --model=RUN/export/pel_int8.tflite clip.mp4 photo.jpg
    python export/edge_predict.py --model=pel_fp32.tflite --frames=32 --threads=4 --json clip.mp4

Needs only numpy, OpenCV, yuface (the face detector) and ai-edge-litert, plus pel_keras/data/{faces,media,
image_header,decoding,video}.py, pel_keras/export/edge.py, pel_keras/inference/{contract,predictors,
tflite_ops}.py and pel_keras/files/readable.py: copy those to the device. A .tflite with custom or Flex
operators (code from outside LiteRT's builtin kernels) is refused unless --trust_model is given. Prints one
line per sampled frame (frame index, face box, fake probability) and the
overall probability (mean over frames with a face) per input; exit status 1 when an input has no face or
cannot be read. Flags are parsed with argparse, not absl, to keep the dependencies to these.
"""

import argparse
import json
import sys

from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_FLOOR, MAX_MEGAPIXELS_HELP  # noqa: E402
from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN, DETECTORS, make_detector  # noqa: E402
from pel_keras.data.media_files import MediaError  # noqa: E402
from pel_keras.export.edge import overall_probability, score_media  # noqa: E402
from pel_keras.inference.crop_settings import crop_settings  # noqa: E402
from pel_keras.inference.predictors import ModelError, load_predictor  # noqa: E402


def _at_least(lowest, kind):
    def parse(text):
        value = kind(text)
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be at least {lowest}, got {text}")
        return value

    return parse


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", nargs="+", help="images, videos or folders of frame images")
    parser.add_argument("--model", required=True, help="an exported .tflite file (pel_fp32/fp16/int8.tflite)")
    parser.add_argument(
        "--frames", type=_at_least(1, int), default=16, help="frames sampled per video, at equal intervals"
    )
    parser.add_argument(
        "--margin",
        type=_at_least(1.0, float),
        default=None,
        help="face-crop margin; default the one the model was trained with (export_report.json beside it), "
        f"else {DEFAULT_MARGIN}",
    )
    parser.add_argument(
        "--detector",
        choices=sorted(DETECTORS),
        default=None,
        help=f"face detector; default the one the model was trained with, else {DEFAULT_DETECTOR}",
    )
    parser.add_argument("--threads", type=_at_least(1, int), default=2, help="LiteRT threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object per input instead of text")
    parser.add_argument(
        "--max_megapixels",
        type=_at_least(MAX_MEGAPIXELS_FLOOR, float),
        default=DEFAULT_MAX_MEGAPIXELS,
        help=MAX_MEGAPIXELS_HELP,
    )
    parser.add_argument(
        "--trust_model",
        action="store_true",
        help="also load a .tflite with custom or Flex operators (only from a source you trust)",
    )
    return parser.parse_args(argv)


def _print(path, scores, overall, as_json):
    if as_json:
        frames = [{"frame": s.frame, "box": s.box, "fake_probability": s.probability} for s in scores]
        print(json.dumps({"media": path, "frames": frames, "fake_probability": overall}))
        return
    for score in scores:
        found = "no face" if score.box is None else f"face {score.box}  fake probability {score.probability:.4f}"
        print(f"{path}  frame {score.frame:>6}  {found}")
    print(
        f"{path}  overall fake probability "
        f"{'n/a (no face found)' if overall is None else f'{overall:.4f}'}  ({len(scores)} frames)"
    )


def _fail(message):
    """Status 2 (the command cannot run as given), the rule of every entry script (pel_keras/cli.py)."""
    print(f"edge_predict.py: {message}", file=sys.stderr)
    return 2


def main(argv=None):
    args = parse_args(argv)
    if not args.model.endswith(".tflite"):
        return _fail(f"--model must be a .tflite file, got {args.model}")
    try:
        predictor = load_predictor(args.model, num_threads=args.threads, trusted=args.trust_model)
    except (FileNotFoundError, ModelError) as error:
        return _fail(error)
    try:
        crops = crop_settings(args.model, args.margin, args.detector)
    except ValueError as error:
        return _fail(error)
    detector = make_detector(crops.detector)
    failed = 0
    for path in args.media:
        try:
            scores = score_media(path, predictor, detector, args.frames, crops.margin, args.max_megapixels)
        except MediaError as error:
            print(f"edge_predict.py: {error}", file=sys.stderr)
            failed += 1
            continue
        overall = overall_probability(scores)
        failed += overall is None
        _print(path, scores, overall, args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
