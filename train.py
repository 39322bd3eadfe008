"""Trains PEL on a prepared dataset.

    python train.py --flagfile=ffpp.flags                       # the paper's FF++ LQ setting
    python train.py --flagfile=ffpp.flags --batch_size=64       # any flag can follow the flagfile

One device, all local GPUs (MirroredStrategy, automatic) or several machines (MultiWorkerMirroredStrategy,
when TF_CONFIG is set: start the same command on every machine). Started again with the same command,
a run resumes from its last checkpoint in --workdir. The flags are the fields of
pel_keras.training.TrainConfig; see docs/training.md.
"""

import dataclasses

from absl import app, flags, logging

from pel_keras import cli
from pel_keras.training import TrainConfig, best_summary, train

FLAGS = flags.FLAGS


def define_flags(flag_values=FLAGS):
    """One flag per :class:`TrainConfig` field, with its default, help text and choices; and the demo's."""
    definers = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float, str: flags.DEFINE_string}
    for field in dataclasses.fields(TrainConfig):
        help_text, choices = field.metadata["help"], field.metadata["choices"]
        if choices:
            flags.DEFINE_enum(field.name, field.default, list(choices), help_text, flag_values=flag_values)
        else:
            definers[field.type](field.name, field.default, help_text, flag_values=flag_values)
    flags.DEFINE_bool(
        "demo",
        False,
        "The built-in demo: build DATA_DIR/<train_dataset> from public-domain faces shipped in installed packages "
        "(real only for training, self-blended fakes for val/test) when missing; after training, evaluate on its "
        "test split, export TFLite and print where everything is. Needs --sbi.",
        flag_values=flag_values,
    )
    flags.DEFINE_string(
        "real_dir",
        None,
        "With --demo: a folder of your own real face photos added to the demo data (about 20% of them only in "
        "val/test, as unseen faces).",
        flag_values=flag_values,
    )


def config_from_flags(flag_values=FLAGS):
    """The :class:`TrainConfig` of the parsed flags; a UsageError naming the flag when one is wrong."""
    try:
        return TrainConfig(**{field.name: flag_values[field.name].value for field in dataclasses.fields(TrainConfig)})
    except ValueError as error:
        raise app.UsageError(str(error)) from error


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; flags are written --name=value")
    config = config_from_flags()
    if not FLAGS["verbosity"].present:  # keep TensorFlow's checkpoint chatter off the progress bar
        logging.set_verbosity(logging.WARNING)
    if FLAGS.real_dir and not FLAGS.demo:
        raise app.UsageError("--real_dir: adds faces to the demo data; it needs --demo")
    try:
        if FLAGS.demo:
            from pel_keras.demo import run_demo  # evaluation and export load only for the demo

            run_demo(config, FLAGS.real_dir)
        else:
            print(best_summary(config, train(config)))
    except (ValueError, FileNotFoundError) as error:  # a setting or an input: the message names it
        return cli.fail(error)
    except FloatingPointError as error:  # the loss diverged; the last good checkpoint is kept
        return cli.fail(error, cli.FAILED)


if __name__ == "__main__":
    define_flags()
    cli.run(main)
