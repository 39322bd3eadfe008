"""Draws the paper's visualisation figures (Fig. 2-4) for a trained PEL run.

    python visualize.py --workdir=RUN --images=real.png,fake.png --masks=,fake_mask.png
    python visualize.py --workdir=RUN --images=original/000.mp4,Deepfakes/000_003.mp4 \
        --masks=,Deepfakes/masks/000_003.mp4 --frame=100 --figures=2,4

Writes into --output_dir (default RUN/figures): fig2_cam.png (class activation maps of the RGB and the
frequency stream), fig3_self_enhancement.png (what the first self-enhancement module adds, |f_out - f_in|,
in both streams) and fig4_mutual_enhancement.png (the same for the last mutual-enhancement module). One row
per image (its largest face), the manipulation mask beside where given. Exit status 1 when a figure could not
be drawn because the model lacks its module (an ablation), 2 for a bad input, model or flag.
"""

import os
import sys

from absl import app, flags

from pel_keras import cli
from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_FLOOR, MAX_MEGAPIXELS_HELP
from pel_keras.data.faces import DETECTORS
from pel_keras.data.media_files import MediaError
from pel_keras.inference.crop_settings import DETECTOR_HELP, MARGIN_HELP, crop_settings
from pel_keras.inference.predictors import ModelError
from pel_keras.run_folder import BEST
from pel_keras.visualization.paper_figures import FIGURES, make_figures

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "The training run folder (RUN); its best.keras is visualised.")
flags.DEFINE_string("model", None, "The .keras model, when not RUN/best.keras (e.g. RUN/last.keras).")
flags.DEFINE_list("images", None, "Images, videos or frame folders: one figure row each (the largest face).")
flags.DEFINE_list(
    "masks",
    [],
    "Manipulation masks paired with --images by position (image, video or frame "
    "folder, white = manipulated); leave an entry empty for an image without one.",
)
flags.DEFINE_integer(
    "frame", 0, "Frame index read from every video or frame folder in --images and --masks.", lower_bound=0
)
flags.DEFINE_list("figures", [str(f) for f in FIGURES], "Which figures to draw (2, 3, 4).")
flags.DEFINE_string("output_dir", None, "Where the PNGs go; default WORKDIR/figures.")
flags.DEFINE_enum("detector", None, sorted(DETECTORS), DETECTOR_HELP)
flags.DEFINE_float("margin", None, MARGIN_HELP, lower_bound=1)
flags.DEFINE_float("max_megapixels", DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_HELP, lower_bound=MAX_MEGAPIXELS_FLOOR)
flags.mark_flags_as_required(["images"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; flags are written --name=value")
    if not (FLAGS.workdir or FLAGS.model):
        raise app.UsageError("give --workdir=RUN (or --model=PATH.keras)")
    model = FLAGS.model or os.path.join(FLAGS.workdir, BEST)
    output_dir = FLAGS.output_dir or os.path.join(FLAGS.workdir or os.path.dirname(model), "figures")
    try:
        crops = crop_settings(model, FLAGS.margin, FLAGS.detector)
        figures = [int(f) for f in FLAGS.figures]
        written, skipped = make_figures(
            model,
            FLAGS.images,
            [m or None for m in FLAGS.masks],
            output_dir,
            figures,
            FLAGS.frame,
            crops.detector,
            crops.margin,
            FLAGS.max_megapixels,
        )
    except (MediaError, ModelError, ValueError) as error:
        return cli.fail(error)
    for figure, path in written.items():
        print(f"Fig. {figure}: {path}")
    for figure, reason in skipped.items():
        print(f"Fig. {figure} not drawn: {reason}", file=sys.stderr)
    return cli.FAILED if skipped else cli.OK


if __name__ == "__main__":
    cli.run(main)
