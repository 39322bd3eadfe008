"""Every file written for the user is replaced whole: evaluation reports, score CSVs and ROC figures, the
heatmaps and JSON of predict.py, the figures of visualize.py.

A writer that writes in place truncates the file it replaces; one that writes a temporary file and renames
it leaves the old file's content untouched. A second name (a hard link) of the old file tells the two apart.
"""

import json
import os

import numpy as np
from killed_writer import kill_while_writing

from pel_keras.evaluation.outputs import Scored, save_evaluation
from pel_keras.evaluation.scores import FrameScores, write_score_csvs
from pel_keras.files.atomic import TEMPORARY_SUFFIX
from pel_keras.prediction.heatmaps import write_image
from pel_keras.prediction.results import OK, FaceScore, FrameResult, InputResult, write_json
from pel_keras.visualization.figures import save_grid


def _scores(seed, frames=40):
    rng = np.random.default_rng(seed)
    videos = np.repeat([f"v{i}" for i in range(frames // 4)], 4)
    labels = (np.arange(frames) // 4 % 2).astype(np.float32)
    return FrameScores(np.char.add(videos, ".png"), videos, labels, rng.random(frames).astype(np.float32))


def _linked(folder, witnesses):
    """A second name in ``witnesses`` for every file in ``folder``; returns ``{name: content}``."""
    os.makedirs(witnesses, exist_ok=True)
    contents = {}
    for name in os.listdir(folder):
        os.link(os.path.join(folder, name), os.path.join(witnesses, name))
        contents[name] = open(os.path.join(folder, name), "rb").read()
    return contents


def _check_replaced(folder, witnesses, old):
    """The files of ``folder`` are new, and their old content is intact under the second names."""
    for name, content in old.items():
        assert open(os.path.join(witnesses, name), "rb").read() == content, f"{name} was rewritten in place"
        assert open(os.path.join(folder, name), "rb").read() != content, f"{name} was not written again"
    assert not [name for name in os.listdir(folder) if TEMPORARY_SUFFIX in name]


def test_evaluation_files_are_replaced_whole(tmp_path):
    folder = tmp_path / "eval"
    save_evaluation(folder, "intra", "best.keras", "ffpp_c40", [Scored("ffpp_c40", _scores(0))])
    old = _linked(folder, tmp_path / "old")
    assert sorted(old) == [
        "intra_ffpp_c40_frames.csv",
        "intra_ffpp_c40_videos.csv",
        "results.json",
        "results.md",
        "roc_intra.png",
    ]
    save_evaluation(folder, "intra", "best.keras", "ffpp_c40", [Scored("ffpp_c40", _scores(1))])
    _check_replaced(folder, tmp_path / "old", old)


def test_heatmaps_figures_and_prediction_json_are_replaced_whole(tmp_path):
    folder = tmp_path / "out"
    images = [np.full((24, 32, 3), value, np.uint8) for value in (40, 200)]
    results = [
        [InputResult("clip.mp4", "video", OK, None, [FrameResult(0, [FaceScore((1, 2, 3, 4), 0.9, p)])])]
        for p in (0.25, 0.75)
    ]
    for version in (0, 1):
        write_image(str(folder / "000000.png"), images[version])
        save_grid(str(folder / "fig2_cam.png"), "Fig. 2", ["a"], [("face", [images[version]])])
        write_json(str(folder / "results.json"), results[version], {"model": "m.tflite", "image_size": np.int32(24)})
        if version == 0:
            old = _linked(folder, tmp_path / "old")
    _check_replaced(folder, tmp_path / "old", old)
    assert json.loads((folder / "results.json").read_text())["inputs"][0]["score"] == 0.75


def test_a_score_csv_writer_killed_mid_way_leaves_the_previous_file(tmp_path):
    stem = str(tmp_path / "intra_ffpp_c40")
    previous = write_score_csvs(_scores(0), stem)
    contents = [open(path, "rb").read() for path in previous]
    code = (
        "import numpy as np\nfrom pel_keras.evaluation.scores import FrameScores, write_score_csvs\n"
        "n = 1_000_000\nvideos = np.char.add('video_', (np.arange(n) // 10).astype(str))\n"
        "scores = FrameScores(np.char.add(videos, '.png'), videos, (np.arange(n) // 10 % 2).astype(np.float32), "
        "np.random.default_rng(0).random(n, dtype=np.float32))\n"
        f"write_score_csvs(scores, {stem!r})\n"
    )
    kill_while_writing(["-c", code], str(tmp_path))
    assert [open(path, "rb").read() for path in previous] == contents
    visible = sorted(name for name in os.listdir(tmp_path) if not name.startswith("."))
    assert visible == ["intra_ffpp_c40_frames.csv", "intra_ffpp_c40_videos.csv"]
