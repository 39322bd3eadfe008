"""Evaluates a trained PEL run, as the paper's Tables 1-3, at frame and video level.

    python evaluate.py --workdir=RUN                      # Table 1: the test split of the training dataset
    python evaluate.py --workdir=RUN --cross              # Table 2 (for FF++ c23: the field's five test sets)
    python evaluate.py --workdir=RUN --robustness         # Table 3: under noise, salt-and-pepper and blur
    python evaluate.py --workdir=RUN --model=RUN/export/pel_int8.tflite   # an exported artifact, same data

Writes RUN/eval/results.json, results.md, score CSVs and ROC figures, each with the protocol card, and prints
the table. Exit status: 0 when something was evaluated, 1 when nothing could be (every dataset skipped), 2 for
a wrong flag or a missing file (the message names it). See docs/evaluation.md.
"""

from absl import app, flags

from pel_keras import cli
from pel_keras.data.perturb import DEFAULT_STRENGTHS, PERTURBATIONS
from pel_keras.evaluation.eval_config import EvalConfig
from pel_keras.evaluation.evaluate import plan_evaluation, run_evaluation
from pel_keras.inference.predictors import TRUST_MODEL_HELP

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Training run folder (config.json, best.keras); the report goes to WORKDIR/eval.")
flags.DEFINE_string(
    "model", "", "Evaluate this artifact instead of WORKDIR/best.keras: .keras, SavedModel folder, .tflite or .onnx."
)
flags.DEFINE_bool("trust_model", False, TRUST_MODEL_HELP)
flags.DEFINE_bool("cross", False, "Cross-dataset evaluation (Table 2) on --datasets.")
flags.DEFINE_bool(
    "robustness", False, "Robustness evaluation (Table 3): each perturbation strength against the clean run."
)
flags.DEFINE_list(
    "datasets",
    [],
    "Test dataset tags of --cross; default: Table 2's for the training dataset, for FF++ c23 and raw the "
    "field's five (wilddeepfake, celebdf, dfd_c23, dfdc, dfdcp); one prepared only at another compression "
    "is scored at that one, and the report says so.",
)
flags.DEFINE_string("data_dir", "", "DATA_DIR holding <tag>/manifest.csv; default: the run's (config.json).")
flags.DEFINE_enum("split", "test", ["train", "val", "test"], "Split evaluated.")
flags.DEFINE_integer("batch_size", 32, "Images per batch.", lower_bound=1)
flags.DEFINE_float("threshold", 0.5, "ACC decision threshold: fake when p > threshold.", lower_bound=0, upper_bound=1)
flags.DEFINE_integer(
    "frames", 0, "At most this many frames per video, at equal intervals; 0: all prepared frames.", lower_bound=0
)
flags.DEFINE_integer("seed", 0, "Seed of the random perturbations.")
flags.DEFINE_bool("progress", True, "Show a progress bar per scored set.")
for _name, _help in (
    ("gaussian_noise", "variances (0..1 intensity scale)"),
    ("salt_and_pepper", "densities (fraction of pixels)"),
    ("gaussian_blur", "odd kernel sizes (sigma = size / 6)"),
):
    flags.DEFINE_list(
        _name,
        [str(DEFAULT_STRENGTHS[_name])],
        f"--robustness: {_name} {_help}, comma-separated to sweep levels; empty: left out.",
    )
flags.mark_flag_as_required("workdir")


def _strengths(name):
    """The numbers of a strength list flag, integers where they are whole (kernel sizes: 13, not 13.0)."""
    try:
        numbers = [float(text) for text in FLAGS[name].value]
    except ValueError:
        raise ValueError(f"--{name}: expected comma-separated numbers; got {','.join(FLAGS[name].value)!r}") from None
    return tuple(int(n) if n.is_integer() else n for n in numbers)


def config_from_flags():
    """The `EvalConfig` of the parsed flags; a ValueError naming the flag when one is wrong."""
    values = {
        name: FLAGS[name].value
        for name in (
            "workdir",
            "model",
            "trust_model",
            "cross",
            "robustness",
            "data_dir",
            "split",
            "batch_size",
            "threshold",
            "frames",
            "seed",
            "progress",
        )
    }
    return EvalConfig(datasets=tuple(FLAGS.datasets), **values, **{n: _strengths(n) for n in PERTURBATIONS})


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; flags are written --name=value")
    try:
        config = config_from_flags()
        plan = plan_evaluation(config)
    except (FileNotFoundError, ValueError) as error:  # a wrong flag or a missing file: the message names it
        return cli.fail(error)
    outcomes = run_evaluation(plan)
    for outcome in outcomes:
        reasons = "".join(f"\n  {skipped.dataset} skipped: {skipped.reason}" for skipped in outcome.skipped)
        print(outcome.table or f"{outcome.mode}: nothing evaluated{reasons}")
    if not any(outcome.scored for outcome in outcomes):
        return cli.fail("nothing could be evaluated (see the reasons above)", cli.FAILED)
    print(f"Report: {config.eval_dir}/results.md")
    return cli.OK


if __name__ == "__main__":
    cli.run(main)
