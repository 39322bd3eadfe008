"""Prints parameters and FLOPs of PEL configurations (docs/model.md, "Size and cost").

python model_stats.py                                  # B4 at 320 and 224, two streams and each alone
python model_stats.py --backbone=efficientnet_b0 --image_sizes=224
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

import pel_keras  # noqa: E402
from pel_keras import cli  # noqa: E402
from pel_keras.models.complexity import count_flops, stream_parameters  # noqa: E402
from pel_keras.models.efficientnet_backbones import BACKBONES  # noqa: E402
from pel_keras.models.pel import STREAMS  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_enum("backbone", "efficientnet_b4", list(BACKBONES), "EfficientNet backbone of the streams.")
flags.DEFINE_list("image_sizes", ["320", "224"], "Square input sizes to report.")
flags.DEFINE_list("streams", list(STREAMS), "Stream configurations to report (two, rgb, freq).")


def main(argv):
    del argv
    for streams in FLAGS.streams:
        if streams not in STREAMS:
            raise app.UsageError(f"--streams: unknown configuration {streams!r}; choose from {list(STREAMS)}.")
    print("| configuration | input | parameters | of which RGB / freq / shared | GFLOPs |")
    print("| --- | --- | ---: | --- | ---: |")
    for size in FLAGS.image_sizes:
        if not size.isdigit():
            raise app.UsageError(f"--image_sizes: {size!r} is not a whole number of pixels.")
        for streams in FLAGS.streams:
            model = pel_keras.build_model(FLAGS.backbone, int(size), streams=streams, weights=None)
            parts = stream_parameters(model)
            split = " / ".join(f"{parts[key]:,}" for key in ("rgb", "freq", "shared"))
            gflops = count_flops(model) / 1e9
            print(
                f"| {FLAGS.backbone}, {streams} | {size}x{size} | {model.count_params():,} | {split} | {gflops:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    cli.run(main)
