"""Turns a prepared dataset's PNG crops into TFRecord shards, without detecting anything again.

    python convert_shards.py --data=data/ffpp_c23                       # -> data/ffpp_c23/tfrecord/
    python convert_shards.py --data=data/dfdc --examples_per_shard=2000

Training reads the shards instead of the PNG files once they are there (docs/data.md, "Record shards").
Exits with status 2 when --data holds no manifest or a crop it lists is missing or cut short (the message
names it), 1 when the disk fills up (the shards there before are kept).
"""

from absl import flags

from pel_keras import cli
from pel_keras.data.convert_shards import convert
from pel_keras.data.shards import DEFAULT_EXAMPLES_PER_SHARD

FLAGS = flags.FLAGS
flags.DEFINE_string("data", None, "A prepared dataset: the folder of its manifest.csv (DATA_DIR/<tag>).")
flags.DEFINE_integer(
    "examples_per_shard",
    DEFAULT_EXAMPLES_PER_SHARD,
    "Crops per shard file (each split and class apart).",
    lower_bound=1,
)
flags.mark_flags_as_required(["data"])


def main(argv):
    del argv
    try:
        shards = convert(FLAGS.data, FLAGS.examples_per_shard)
    except (FileNotFoundError, ValueError) as error:
        return cli.fail(error)
    print(f"{FLAGS.data}: {sum(s['examples'] for s in shards)} crops in {len(shards)} shards")
    return cli.OK


if __name__ == "__main__":
    cli.run(main)
