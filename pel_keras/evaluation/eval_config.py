"""Settings of one evaluation (`EvalConfig`, one field per `evaluate.py` flag) and what it reads from the
training run it evaluates (`RunSettings`, from `RUN/config.json`, which train.py writes)."""

import dataclasses
import os
import re

from pel_keras.data.perturb import DEFAULT_STRENGTHS, PERTURBATIONS, check_strength
from pel_keras.run_folder import BEST, CONFIG, EVAL, read_config

SPLITS = ("train", "val", "test")


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """The training settings evaluation needs: where the data is, what the model was trained on, its input size,
    and the whole of `config.json` (`training`), which the protocol card describes."""

    data_dir: str
    train_dataset: str
    image_size: int
    training: dict = dataclasses.field(default_factory=dict, compare=False)


def read_run_settings(workdir):
    """`RunSettings` from `workdir/config.json`.

    Raises:
        FileNotFoundError: no such folder, or no `config.json` in it (named, with the `--workdir` flag).
        ValueError: not JSON, or a needed setting is missing or of the wrong type (named).
    """
    values, path = read_config(workdir), os.path.join(workdir, CONFIG)
    fields = {field.name: field.type for field in dataclasses.fields(RunSettings) if field.name != "training"}
    wrong = [
        f"{name} ({kind.__name__})"
        for name, kind in fields.items()
        if type(values.get(name)) is not kind or values[name] in ("", 0)
    ]
    if wrong:
        raise ValueError(f"{path}: missing or invalid training settings: {', '.join(wrong)}")
    return RunSettings(**{name: values[name] for name in fields}, training=values)


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """Settings of one `evaluate.py` call; each field is the flag of the same name.

    Attributes:
        workdir: the training run folder (`config.json`, `best.keras`); the report goes to `workdir/eval`.
        model: an artifact to evaluate instead of `workdir/best.keras`: `.keras`, SavedModel folder,
            `.tflite` or `.onnx`.
        trust_model: also load a model that runs code of its own (a SavedModel, a `.tflite` with custom
            operators; see `pel_keras.inference.predictors.load_predictor`).
        cross: evaluate on other datasets (Table 2); robustness: under perturbations (Table 3). Neither:
            intra-dataset (Table 1).
        datasets: the test datasets of `cross` (tags); empty: Table 2's for the training dataset.
        data_dir: DATA_DIR holding `<tag>/manifest.csv`; empty: the run's own.
        split: the split evaluated, `test` by default.
        batch_size: images per batch; threshold: ACC decision threshold.
        frames: at most this many frames per video, at equal intervals in frame order; 0: all prepared.
        gaussian_noise, salt_and_pepper, gaussian_blur: the strengths `robustness` applies, one evaluation
            each (see `pel_keras.data.perturb`); an empty tuple leaves that perturbation out.
        seed: seed of the random perturbations (batch i gets (seed, i)).
        progress: show a progress bar per scored set.

    Raises:
        ValueError: on construction, naming the flag whose value is wrong.
    """

    workdir: str
    model: str = ""
    trust_model: bool = False
    cross: bool = False
    robustness: bool = False
    datasets: tuple = ()
    data_dir: str = ""
    split: str = "test"
    batch_size: int = 32
    threshold: float = 0.5
    frames: int = 0
    gaussian_noise: tuple = (DEFAULT_STRENGTHS["gaussian_noise"],)
    salt_and_pepper: tuple = (DEFAULT_STRENGTHS["salt_and_pepper"],)
    gaussian_blur: tuple = (DEFAULT_STRENGTHS["gaussian_blur"],)
    seed: int = 0
    progress: bool = True

    def __post_init__(self):
        checks = (
            ("workdir", bool(self.workdir), "is required"),
            ("split", self.split in SPLITS, f"must be one of {', '.join(SPLITS)}"),
            ("batch_size", _integer(self.batch_size) and self.batch_size > 0, "must be a positive integer"),
            ("threshold", 0 <= self.threshold <= 1, "must lie in [0, 1]"),
            ("frames", _integer(self.frames) and self.frames >= 0, "must be an integer >= 0 (0: all frames)"),
            ("seed", _integer(self.seed) and self.seed >= 0, "must be an integer >= 0"),
            (
                "datasets",
                self.cross or not self.datasets,
                "chooses the test sets of --cross; intra and robustness evaluate the training dataset",
            ),
        )
        for name, valid, message in checks:
            if not valid:
                raise ValueError(f"--{name}: {message}; got {getattr(self, name)!r}")
        _check_tags(self.datasets)
        for name in PERTURBATIONS:
            if len(set(getattr(self, name))) < len(getattr(self, name)):
                raise ValueError(f"--{name}: a strength is given twice; got {getattr(self, name)!r}")
        for name, strength in self.perturbations:
            try:
                check_strength(name, strength)
            except ValueError as error:
                raise ValueError(f"--{error}") from error
        if self.robustness and not self.perturbations:
            raise ValueError("--robustness: every perturbation strength list is empty; nothing to apply")

    @property
    def modes(self):
        """The evaluations to run: "cross" and/or "robustness" when asked for, "intra" otherwise."""
        return tuple(mode for mode in ("cross", "robustness") if getattr(self, mode)) or ("intra",)

    @property
    def perturbations(self):
        """`(perturbation, strength)` pairs, in Table 3's order."""
        return tuple((name, strength) for name in PERTURBATIONS for strength in getattr(self, name))

    @property
    def model_path(self):
        return self.model or os.path.join(self.workdir, BEST)

    @property
    def model_name(self):
        """The model's key in `results.json`: its path relative to the run folder when inside it, else absolute."""
        path, run = os.path.realpath(self.model_path), os.path.realpath(self.workdir)
        return os.path.relpath(path, run) if path.startswith(run + os.sep) else path

    @property
    def eval_dir(self):
        return os.path.join(self.workdir, EVAL)

    @property
    def files_dir(self):
        """Score CSVs and ROC figures: `RUN/eval` for the run's `best.keras`, `RUN/eval/<model name>` (path
        separators as `_`) for any other model."""
        name = self.model_name
        if name == BEST:
            return self.eval_dir
        return os.path.join(self.eval_dir, re.sub(r"[^\w.-]+", "_", name).strip("._"))


def _integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_tags(tags):
    """Dataset tags are folder names in DATA_DIR, each given once."""
    for tag in tags:
        if not tag or tag in (".", "..") or "/" in tag or os.sep in tag:
            raise ValueError(f"--datasets: {tag!r} is not a dataset tag (a folder name in DATA_DIR)")
        if tags.count(tag) > 1:
            raise ValueError(f"--datasets: {tag!r} is given twice")
