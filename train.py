"""Trains PEL on a prepared dataset.

    python train.py --flagfile=ffpp.flags                       # the paper's FF++ LQ setting
    python train.py --flagfile=ffpp.flags --batch_size=64       # any flag can follow the flagfile

One device, all local GPUs (MirroredStrategy, automatic) or several machines (MultiWorkerMirroredStrategy,
when TF_CONFIG is set: start the same command on every machine). Started again with the same command,
a run resumes from its last checkpoint in --workdir. The flags are the fields of
pel_keras.training.TrainConfig; see README.md, section Training.
"""

import dataclasses

from absl import app, flags, logging

from pel_keras import cli
from pel_keras.demo import finish_demo, prepare_demo_data
from pel_keras.training import TrainConfig, train

FLAGS = flags.FLAGS


def define_flags(flag_values=FLAGS):
    """One flag per :class:`TrainConfig` field, with its default, help text and choices."""
    definers = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float, str: flags.DEFINE_string}
    for field in dataclasses.fields(TrainConfig):
        help_text, choices = field.metadata["help"], field.metadata["choices"]
        if choices:
            flags.DEFINE_enum(field.name, field.default, list(choices), help_text, flag_values=flag_values)
        else:
            definers[field.type](field.name, field.default, help_text, flag_values=flag_values)


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
    try:
        if config.demo:
            prepare_demo_data(config)
        records = train(config)
    except (ValueError, FileNotFoundError) as error:  # a setting or an input: the message names it
        return cli.fail(error)
    except FloatingPointError as error:  # the loss diverged; the last good checkpoint is kept
        return cli.fail(error, cli.FAILED)
    best = [record for record in records if record.get("best")]
    if best:
        print(
            f"best.keras: epoch {best[-1]['epoch']}, val {config.selection_metric} "
            f"{best[-1]['val_' + config.selection_metric]:.4f} ({config.workdir})"
        )
    if config.demo:
        finish_demo(config)


if __name__ == "__main__":
    define_flags()
    cli.run(main)
