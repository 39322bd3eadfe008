"""The protocol card and the field's standard protocol, end to end: `evaluate.py --cross` on a run trained on
FF++ c23 scores the five standard test sets (DFD at the compression that is prepared), and results.json,
results.md and the ROC figure state how every number was measured, beside the published rows' protocols."""

import json
import os
import subprocess
import sys

import evaluation_runs
import pytest
from PIL import Image

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CROPS = {"frames": 8, "size": 32, "margin": 1.3, "detector": "yunet"}


def _videos(prefix, split="test"):
    return [(f"{prefix}/real{i}", 0, split) for i in range(2)] + [(f"{prefix}/fake{i}", 1, split) for i in range(2)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run trained on ffpp_c23 and evaluated with --cross; DFD is prepared at c40 only, WildDeepfake
    without a prepare.json."""
    data_dir = tmp_path_factory.mktemp("data")
    evaluation_runs.write_prepared(data_dir, "ffpp_c23", _videos("ffpp") + _videos("val", "val"), 2, CROPS)
    for tag in ("celebdf", "dfd_c40", "dfdc", "dfdcp"):
        evaluation_runs.write_prepared(data_dir, tag, _videos(tag), 2, dict(CROPS, margin=1.25))
    evaluation_runs.write_prepared(data_dir, "wilddeepfake", _videos("wild"), 2)
    model = evaluation_runs.save_model(str(tmp_path_factory.mktemp("model") / "pel.keras"))
    workdir = evaluation_runs.write_run(tmp_path_factory.mktemp("run"), data_dir, model, "ffpp_c23", frames=8)
    command = [sys.executable, "evaluate.py", "--noprogress", "--batch_size=4", f"--workdir={workdir}", "--cross"]
    process = subprocess.run(command + ["--frames=1"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr
    with open(os.path.join(workdir, "eval", "results.json")) as file:
        results = json.load(file)
    with open(os.path.join(workdir, "eval", "results.md")) as file:
        markdown = file.read()
    return workdir, process.stdout, results["cross"]["best.keras"], markdown


def test_the_five_standard_test_sets_are_scored_dfd_at_the_prepared_compression(run):
    _, stdout, evaluation, markdown = run
    records = evaluation["datasets"]
    assert [r["dataset"] for r in records] == ["wilddeepfake", "celebdf", "dfd_c40", "dfdc", "dfdcp"]
    assert all("skipped" not in r and r["videos"] == 4 and r["frames"] == 4 for r in records)
    assert records[2]["instead_of"] == "dfd_c23" and "instead_of" not in records[1]
    note = "- DFD (c40) scored for DFD (c23) (best.keras): `dfd_c23` is not prepared, `dfd_c40` is"
    assert note in markdown and note in stdout


def test_results_json_holds_the_protocol_card(run):
    _, _, evaluation, _ = run
    assert evaluation["protocol"] == {
        "training": {
            "dataset": "ffpp_c23",
            "compression": "c23",
            "fakes": "dataset",
            "frames_per_video": 8,
            "crops": CROPS,
        },
        "checkpoint": {"model": "best.keras", "selection_metric": "video_auc", "split": "val"},
        "input_size": 32,
        "test": {
            "split": "test",
            "frames_per_video": 1,
            "datasets": {
                "wilddeepfake": {"crops": None, "instead_of": None},
                **{tag: {"crops": dict(CROPS, margin=1.25), "instead_of": None} for tag in ("celebdf", "dfdc")},
                "dfd_c40": {"crops": dict(CROPS, margin=1.25), "instead_of": "dfd_c23"},
                "dfdcp": {"crops": dict(CROPS, margin=1.25), "instead_of": None},
            },
        },
        "levels": {
            "frame": "every face crop is scored on its own (one crop per sampled frame with a face)",
            "video": "a video's score is the mean of its frames' probabilities (frames without a face are not scored)",
        },
        "threshold": 0.5,
    }


def test_results_md_and_the_console_state_the_protocol_and_the_published_rows(run):
    _, stdout, _, markdown = run
    lines = [
        "Protocol (`best.keras`):",
        "- Training data: `ffpp_c23` (compression c23), its own real and fake videos, at most 8 frames per video",
        "- Training crops: faces by yunet, margin 1.3, 32 px, 8 frames sampled per video at equal intervals",
        "- Checkpoint: the run's `best.keras` is the epoch with the highest video-level AUC on the val split of "
        "`ffpp_c23`; no test split takes part",
        "- Test data: the `test` split, at most 1 frames per video, at equal intervals",
        "- ACC: fake when p > 0.5, a fixed threshold (not tuned on any split)",
    ]
    for line in lines:
        assert line in markdown and line in stdout, line
    assert (
        "- Test crops: `wilddeepfake`: not recorded (no prepare.json: not made by prepare.py); `celebdf`, `dfd_c40` "
        "(instead of `dfd_c23`, which is not prepared), `dfdc`, `dfdcp`: faces by yunet, margin 1.25, 32 px, 8 frames "
        "sampled per video at equal intervals"
    ) in markdown
    assert "| Method | WildDeepfake AUC | WildDeepfake EER | Celeb-DF AUC | Celeb-DF EER | DFD (c40) AUC |" in markdown
    rows = {
        "| EfficientNet-B4 (DeepfakeBench), frame level | - | - | 0.7487 | - | 0.8148 | - | 0.6955 | - | 0.7283 | - |",
        "| Xception (DeepfakeBench), frame level | - | - | 0.7365 | - | 0.8163 | - | 0.7077 | - | 0.7374 | - |",
        "| SBI EfficientNet-B4 (official weights), video level | - | - | 0.9382 | - | 0.9787 | - | 0.7301 | - | 0.8570 "
        "| - |",
        "| PEL (paper) | 0.6739 | 0.3825 | 0.6918 | 0.3569 | 0.7586 | 0.3084 | 0.6331 | 0.4043 | - | - |",
    }
    assert rows <= set(markdown.splitlines())
    sources = [line for line in markdown.splitlines() if line.startswith("- ") and ": " in line]
    assert any(
        line.startswith("- EfficientNet-B4 (DeepfakeBench), frame level, Xception (DeepfakeBench), frame level: ")
        and "trained on FF++ c23, frame-level AUC" in line
        and "SCLBD/DeepfakeBench issue #91" in line
        for line in sources
    )
    assert any(line.startswith("- SBI EfficientNet-B4 (official weights), video level: SBI") for line in sources)
    assert any(
        line.startswith("- PEL (paper): Gu et al., AAAI 2022") and "trained on FF++ (LQ)" in line for line in sources
    )


def test_the_roc_figure_title_states_the_protocol(run):
    workdir, _, _, _ = run
    title = Image.open(os.path.join(workdir, "eval", "roc_cross.png")).text["Title"]
    assert title == (
        "cross evaluation of best.keras, trained on FF++ (HQ)\ntrained on ffpp_c23 (8 frames/video), best.keras "
        "picked by val video-level AUC; 32 px crops (yunet, margin 1.25 / yunet, margin 1.3); test split, at most 1 "
        "frames per video, at equal intervals; video score = mean of frames; ACC at p > 0.5"
    )
