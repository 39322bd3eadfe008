"""Prepares a raw deepfake dataset: face crops (PNG), manifest.csv and failures.csv.

    python prepare.py --dataset=ffpp --input=/data/FaceForensics++ --output=data --compression=c23
    python prepare.py --dataset=dfdc --input=/data/dfdc --output=data --shard=3/8   # part 3 of 8
    python prepare.py --dataset=dfdc --input=/data/dfdc --output=data --format=tfrecord --runner=beam \
        --beam_options="--runner=FlinkRunner --flink_master=HOST:8081 --sdk_container_image=IMAGE"

With --format=tfrecord the crops are also written as TFRecord shards once every video has an outcome
(convert_shards.py does it for a PNG preparation); with --runner=beam the work runs as an Apache Beam pipeline.

Exits with status 1 when any video failed (see DATA_DIR/<tag>/failures.csv) or the disk filled up (run the
same command again once there is room: finished videos are kept), 2 when the raw layout, a list file or the
settings are wrong (the message names the file or the setting) or another process writes the same shard of
the output. Killed at any moment, the same command resumes. docs/data.md lists every dataset's layout and
command; docs/reliability.md what holds when things go wrong.
"""

from absl import flags

from pel_keras import cli
from pel_keras.data.datasets import DATASETS, FFPP_METHODS
from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_FLOOR, MAX_MEGAPIXELS_HELP
from pel_keras.data.faces import DEFAULT_MARGIN, DETECTORS
from pel_keras.data.prepare import FORMATS, RUNNERS, PrepareConfig, prepare
from pel_keras.data.shards import DEFAULT_EXAMPLES_PER_SHARD

FLAGS = flags.FLAGS
flags.DEFINE_enum("dataset", None, DATASETS, "Raw dataset layout.")
flags.DEFINE_string("input", None, "The raw dataset's root folder.")
flags.DEFINE_string("output", None, "DATA_DIR: the crops go to DATA_DIR/<tag>/.")
flags.DEFINE_enum("compression", "c23", ["raw", "c23", "c40"], "FF++ / DFD quality (c23 = HQ, c40 = LQ).")
flags.DEFINE_list("methods", list(FFPP_METHODS), "FF++ methods; add FaceShifter on request.")
flags.DEFINE_integer("frames", 50, "Frames sampled per video at equal intervals.", lower_bound=1)
flags.DEFINE_integer("size", 320, "Side of the square face crop, in pixels.", lower_bound=1)
flags.DEFINE_float("margin", DEFAULT_MARGIN, "Crop side over the detected box's longer side.", lower_bound=1)
flags.DEFINE_enum(
    "detector", "auto", ["auto"] + sorted(DETECTORS), "Face detector (auto: none for WildDeepfake, else yunet)."
)
flags.DEFINE_integer("workers", 0, "Worker processes (0 = one per CPU core).", lower_bound=0)
flags.DEFINE_string("shard", "1/1", "K/N: prepare only part K (1-based) of N, for array jobs.")
flags.DEFINE_float(
    "val_fraction",
    0.1,
    "Share of training sources carved into val (DFDC, DFDCP, WildDeepfake).",
    lower_bound=0,
    upper_bound=1,
)
flags.DEFINE_float("max_megapixels", DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_HELP, lower_bound=MAX_MEGAPIXELS_FLOOR)
flags.DEFINE_enum(
    "format", "png", list(FORMATS), "png: PNG crops; tfrecord: also TFRecord shards of them once all videos are done."
)
flags.DEFINE_integer(
    "examples_per_shard", DEFAULT_EXAMPLES_PER_SHARD, "With --format=tfrecord: crops per shard file.", lower_bound=1
)
flags.DEFINE_enum("runner", "local", list(RUNNERS), "local: a process pool; beam: an Apache Beam pipeline.")
flags.DEFINE_string(
    "beam_options",
    "",
    "With --runner=beam: the pipeline's options (default: Beam's local runner, --workers processes), e.g. "
    '"--runner=DataflowRunner --project=P --region=R --temp_location=gs://B/tmp".',
)
flags.mark_flags_as_required(["dataset", "input", "output"])


def parse_shard(text):
    """'3/8' -> (3, 8); None unless the text is K/N with 1 <= K <= N."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        return None
    return (k, n) if 1 <= k <= n else None


flags.register_validator(
    "shard", lambda text: parse_shard(text) is not None, "must look like K/N with 1 <= K <= N (part K of N, e.g. 3/8)"
)


def main(argv):
    del argv
    config = PrepareConfig(
        dataset=FLAGS.dataset,
        input=FLAGS.input,
        output=FLAGS.output,
        compression=FLAGS.compression,
        methods=tuple(FLAGS.methods),
        frames=FLAGS.frames,
        size=FLAGS.size,
        margin=FLAGS.margin,
        detector=FLAGS.detector,
        workers=FLAGS.workers,
        shard=parse_shard(FLAGS.shard),
        val_fraction=FLAGS.val_fraction,
        max_megapixels=FLAGS.max_megapixels,
        format=FLAGS.format,
        examples_per_shard=FLAGS.examples_per_shard,
        runner=FLAGS.runner,
        beam_options=FLAGS.beam_options,
    )
    try:
        s = prepare(config)
    except (FileNotFoundError, ValueError) as error:  # a layout or settings problem: the message says which
        return cli.fail(error)
    print(
        f"{s.out_dir}: {s.videos} videos in this shard, {s.skipped} already done, {s.done} prepared, "
        f"{s.failed} failed, {s.no_face_videos} without any face; {s.crops} crops from {s.frames} frames "
        f"({s.no_face_frames} frames without a face); manifest.csv has {s.manifest_rows} rows"
    )
    if s.shards:
        print(f"{s.out_dir}/tfrecord: {s.shards} TFRecord shards of the {s.manifest_rows} crops")
    elif FLAGS.format == "tfrecord":
        print(f"{s.out_dir}/tfrecord: not written yet; the run that ends with every video prepared writes it")
    if s.failed:
        return cli.fail(f"{s.failed} videos failed: see {s.out_dir}/failures.csv", cli.FAILED)
    return cli.OK


if __name__ == "__main__":
    cli.run(main)
