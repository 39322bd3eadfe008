"""The issue's `evaluate.py`: a training run's model on the test split of its own dataset (Table 1), on other
datasets (Table 2) or under perturbations (Table 3), at frame and video level, reported in `RUN/eval/`.

Every setting and every dataset is checked before a model is loaded, so a wrong flag fails at once; a test
dataset that is not prepared is skipped with the path where it was expected, and the others still run (for
`--cross`, a dataset prepared only at another compression than the one asked for is scored instead, and the
report says so); a frame file that is missing or cut short stops the evaluation at once, named
(`pel_keras.data.crop_check`). Each mode's protocol card (`pel_keras.protocol`) is built with the plan.
"""

import dataclasses
import os

from pel_keras.data.crop_check import CACHE as CROP_CACHE
from pel_keras.data.datasets import other_compressions
from pel_keras.data.perturb import perturb_dataset
from pel_keras.evaluation.eval_config import EvalConfig, RunSettings, read_run_settings
from pel_keras.evaluation.outputs import Scored, save_evaluation
from pel_keras.evaluation.paper_tables import DATASET_NAMES, cross_datasets
from pel_keras.evaluation.result_records import CLEAN
from pel_keras.evaluation.results_markdown import condition_label
from pel_keras.evaluation.runner import score_batches
from pel_keras.evaluation.scored_frames import TestSet, find_test_set, frame_batches, manifest_path
from pel_keras.files.readable import check_readable
from pel_keras.inference.predictors import Predictor, load_predictor
from pel_keras.protocol import build_card
from pel_keras.run_folder import CONFIG


@dataclasses.dataclass(frozen=True)
class Plan:
    """A checked evaluation, ready to run: the datasets of each mode and the loaded model.

    Attributes:
        config: the `EvalConfig`; run: the training run's `RunSettings`.
        test_sets: `{mode: [TestSet or Skipped, ...]}`.
        predictor: the loaded model; None when every dataset is skipped (then nothing is loaded).
        image_size: the side of the images fed to it (the model's when fixed, else the run's).
        protocols: `{mode: protocol card}` (`pel_keras.protocol.build_card`); empty when nothing is loaded.
    """

    config: EvalConfig
    run: RunSettings
    test_sets: dict
    predictor: Predictor | None
    image_size: int
    protocols: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One mode's result: its markdown table ("" when nothing could be scored) and what was skipped."""

    mode: str
    table: str
    scored: int
    skipped: tuple


def _data_dir(config, run):
    """`--data_dir`, else the run's; a FileNotFoundError naming where it came from when it does not exist."""
    data_dir = config.data_dir or run.data_dir
    if not os.path.isdir(data_dir):
        source = "--data_dir" if config.data_dir else f"data_dir of {os.path.join(config.workdir, CONFIG)}"
        raise FileNotFoundError(
            f"{source}: no folder {data_dir!r}; pass --data_dir=DATA_DIR (the folder of prepared datasets)"
        )
    return data_dir


def _cross_tags(config, run, data_dir):
    """`--datasets`, else Table 2's; a tag that is neither known nor a folder in DATA_DIR is refused."""
    try:
        tags = config.datasets or cross_datasets(run.train_dataset)
    except ValueError as error:
        raise ValueError(f"--datasets: {error}") from error
    for tag in tags:
        if tag not in DATASET_NAMES and not os.path.isdir(os.path.join(data_dir, tag)):
            raise ValueError(
                f"--datasets: unknown dataset {tag!r}: not one of {', '.join(DATASET_NAMES)} "
                f"and no folder {os.path.join(data_dir, tag)}"
            )
    return tags


def _prepared_instead(data_dir, tag, config, cache):
    """The `TestSet` of `tag`; when `tag` is not prepared, that of the nearest other compression of it that
    is (`instead_of` naming `tag`); else `tag`'s `Skipped`."""
    found = find_test_set(data_dir, tag, config.split, config.frames, cache)
    if isinstance(found, TestSet) or os.path.isfile(manifest_path(data_dir, tag)):
        return found
    for other in other_compressions(tag):
        if os.path.isfile(manifest_path(data_dir, other)):
            instead = find_test_set(data_dir, other, config.split, config.frames, cache)
            if isinstance(instead, TestSet):
                return dataclasses.replace(instead, instead_of=tag)
    return found


def _test_sets(config, run, data_dir, mode):
    """`TestSet` or `Skipped` for each dataset `mode` evaluates."""
    cache = os.path.join(config.eval_dir, CROP_CACHE)
    if mode != "cross":
        return [find_test_set(data_dir, run.train_dataset, config.split, config.frames, cache)]
    return [_prepared_instead(data_dir, tag, config, cache) for tag in _cross_tags(config, run, data_dir)]


def _protocol(config, run, test_sets, data_dir, image_size):
    """The protocol card of one mode: the run's training, the datasets it scores (`test_sets`) and the
    evaluation's settings."""
    scored = {s.dataset: s.instead_of or s.dataset for s in test_sets if isinstance(s, TestSet)}
    return build_card(
        run.training, data_dir, config.model_name, image_size, config.split, config.frames, config.threshold, scored
    )


def _score(predictor, test_set, config, image_size, perturbation=None, strength=None):
    """`Scored` frames of `test_set`, clean or under `perturbation` at `strength`."""
    batches = frame_batches(test_set, image_size, config.batch_size)
    description = test_set.dataset
    if perturbation is not None:
        batches = perturb_dataset(batches, perturbation, strength, config.seed)
        description += f" {condition_label(perturbation, strength)}"
    scores = score_batches(predictor, batches, description, config.progress)
    return Scored(test_set.dataset, scores, perturbation or CLEAN, strength, test_set.instead_of)


def _run_mode(plan, mode):
    """Scores the prepared datasets of `mode` (and, for robustness, each perturbation) and saves them."""
    config, items = plan.config, []
    for test_set in plan.test_sets[mode]:
        if not isinstance(test_set, TestSet):
            items.append(test_set)
            continue
        items.append(_score(plan.predictor, test_set, config, plan.image_size))
        pairs = config.perturbations if mode == "robustness" else ()
        items += [_score(plan.predictor, test_set, config, plan.image_size, *pair) for pair in pairs]
    skipped = tuple(item for item in items if not isinstance(item, Scored))
    scored = len(items) - len(skipped)
    if not scored:  # nothing to report: keep whatever results.json already holds for this mode
        return Outcome(mode, "", 0, skipped)
    table = save_evaluation(
        config.eval_dir,
        mode,
        config.model_path,
        plan.run.train_dataset,
        items,
        config.threshold,
        config.model_name,
        config.files_dir,
        plan.protocols[mode],
    )
    return Outcome(mode, table, scored, skipped)


def plan_evaluation(config):
    """Checks `config` (an `EvalConfig`), finds the datasets of each mode and loads the model.

    Raises:
        FileNotFoundError, ValueError: a missing run file, model or data folder, an unknown dataset, a
            frame file missing or not whole, an unreadable `prepare.json`, or a model that cannot be loaded;
            the message names the flag or file.
    """
    run = read_run_settings(config.workdir)
    flag = "--model" if config.model else "--workdir"
    try:
        check_readable(config.model_path, kind=None)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{flag}: {error}") from None
    except OSError as error:  # permission denied, a symbolic link loop: the same stop as a bad flag
        raise ValueError(f"{flag}: {error}") from None
    data_dir = _data_dir(config, run)
    test_sets = {mode: _test_sets(config, run, data_dir, mode) for mode in config.modes}
    if not any(isinstance(s, TestSet) for sets in test_sets.values() for s in sets):
        return Plan(config, run, test_sets, None, run.image_size)
    protocols = {mode: _protocol(config, run, sets, data_dir, run.image_size) for mode, sets in test_sets.items()}
    predictor = load_predictor(config.model_path, trusted=config.trust_model)
    image_size = predictor.input_shape[0] or run.image_size
    protocols = {mode: dict(card, input_size=int(image_size)) for mode, card in protocols.items()}
    return Plan(config, run, test_sets, predictor, image_size, protocols)


def run_evaluation(plan):
    """Scores every prepared dataset of `plan` and writes the report; returns one `Outcome` per mode."""
    return [_run_mode(plan, mode) for mode in plan.test_sets]
