"""results.json / results.md / ROC figure of the three evaluations, checked against sklearn and the paper tables."""

import json

import numpy as np
import pytest
from matplotlib.image import imread
from PIL import Image
from sklearn.metrics import accuracy_score, roc_auc_score

from pel_keras.data.datasets import compression_of, other_compressions
from pel_keras.evaluation import paper_tables
from pel_keras.evaluation.outputs import Scored, Skipped, save_evaluation
from pel_keras.evaluation.published import published
from pel_keras.evaluation.scores import FrameScores
from pel_keras.protocol import build_card


def _scores(seed, separation=0.4, frames_per_video=4, videos=12, fake_share=0.5):
    rng = np.random.default_rng(seed)
    video_labels = (np.arange(videos) < fake_share * videos).astype(np.float32)
    labels = np.repeat(video_labels, frames_per_video)
    ids = np.repeat([f"{seed}_{v}" for v in range(videos)], frames_per_video)
    probabilities = np.clip(rng.normal(0.5 + separation * (labels - 0.5), 0.2), 0, 1).astype(np.float32)
    return FrameScores(np.char.add(ids, ".png"), ids, labels, probabilities)


def _results(eval_dir):
    return json.loads((eval_dir / "results.json").read_text()), (eval_dir / "results.md").read_text()


def test_intra_outputs_and_table(tmp_path):
    scores = _scores(0)
    table = save_evaluation(tmp_path, "intra", "run/best.keras", "ffpp_c40", [Scored("ffpp_c40", scores)])
    results, markdown = _results(tmp_path)
    frame = results["intra"]["best.keras"]["datasets"][0]["frame"]
    assert frame["auc"] == pytest.approx(roc_auc_score(scores.labels, scores.probabilities))
    assert frame["acc"] == pytest.approx(accuracy_score(scores.labels, scores.probabilities > 0.5))
    record = results["intra"]["best.keras"]["datasets"][0]
    assert record["videos"] == 12 and record["frames"] == 48
    assert "| PEL (paper) | 90.52% | 0.9428 |" in markdown
    assert f"| Ours (best.keras), frame level | {frame['acc']:.2%} | {frame['auc']:.4f} |" in markdown
    assert table in markdown and "C-Conv" in table and "Face X-ray" in table
    for name in ("intra_ffpp_c40_frames.csv", "intra_ffpp_c40_videos.csv"):
        assert (tmp_path / name).stat().st_size > 0


def test_cross_keeps_order_lists_skipped_and_accumulates(tmp_path):
    save_evaluation(tmp_path, "intra", "m.keras", "ffpp_c40", [Scored("ffpp_c40", _scores(0))])
    items = [
        Scored("wilddeepfake", _scores(1)),
        Scored("celebdf", _scores(2, fake_share=0.66)),
        Skipped("dfd_c40", "not prepared: /data/dfd_c40/manifest.csv not found"),
        Scored("dfdc", _scores(3, separation=0.1)),
    ]
    table = save_evaluation(tmp_path, "cross", "m.keras", "ffpp_c40", items)
    results, markdown = _results(tmp_path)
    assert set(results) == {"intra", "cross"} and "## Intra-dataset" in markdown and "## Cross-dataset" in markdown
    tags = [r["dataset"] for r in results["cross"]["m.keras"]["datasets"]]
    assert tags == ["wilddeepfake", "celebdf", "dfd_c40", "dfdc"]
    assert "| PEL (paper) | 0.6739 | 0.3825 | 0.6918 | 0.3569 | 0.7586 | 0.3084 | 0.6331 | 0.4043 |" in table
    assert "| skipped | skipped |" in table
    assert "- DFD (c40) skipped (m.keras): not prepared: /data/dfd_c40/manifest.csv not found" in table
    for name in ("cross_celebdf_videos.csv", "roc_cross.png", "roc_intra.png"):
        assert (tmp_path / name).exists()


def test_robustness_deltas_against_sklearn(tmp_path):
    clean = _scores(0, separation=0.6)
    noisy = _scores(1, separation=0.2)
    items = [Scored("wilddeepfake", clean), Scored("wilddeepfake", noisy, "gaussian_noise", 0.005)]
    table = save_evaluation(tmp_path, "robustness", "m.tflite", "wilddeepfake", items)
    results, _ = _results(tmp_path)
    delta = results["robustness"]["m.tflite"]["datasets"][1]["delta"]["frame"]
    accuracy = lambda s: accuracy_score(s.labels, s.probabilities > 0.5)  # noqa: E731
    assert delta["acc"] == pytest.approx(accuracy(noisy) - accuracy(clean))
    auc = lambda s: roc_auc_score(s.labels, s.probabilities)  # noqa: E731
    assert delta["auc"] == pytest.approx(auc(noisy) - auc(clean))
    assert "+ GaussianNoise (0.005) ΔACC" in table
    assert "| PEL (paper) | -0.86% | -0.0050 |" in table
    assert (tmp_path / "robustness_wilddeepfake_gaussian_noise_0.005_frames.csv").exists()


def test_models_sit_side_by_side_in_one_table(tmp_path):
    keras_scores, tflite_scores = _scores(0), _scores(0, separation=0.3)
    save_evaluation(tmp_path, "cross", "run/best.keras", "ffpp_c40", [Scored("celebdf", keras_scores)])
    items = [Scored("celebdf", tflite_scores), Scored("dfdc", _scores(1))]
    table = save_evaluation(
        tmp_path,
        "cross",
        "run/export/pel_int8.tflite",
        "ffpp_c40",
        items,
        name="export/pel_int8.tflite",
        files_dir=tmp_path / "export_pel_int8.tflite",
    )
    save_evaluation(tmp_path, "cross", "run/best.keras", "ffpp_c40", [Scored("celebdf", keras_scores)])
    results, markdown = _results(tmp_path)
    assert list(results["cross"]) == ["best.keras", "export/pel_int8.tflite"]  # re-evaluating keeps the order
    assert results["cross"]["export/pel_int8.tflite"]["files"] == "export_pel_int8.tflite"
    auc = results["cross"]["export/pel_int8.tflite"]["datasets"][0]["frame"]["auc"]
    assert auc == pytest.approx(roc_auc_score(tflite_scores.labels, tflite_scores.probabilities))
    rows = [line for line in table.splitlines() if line.startswith("| Ours")]
    assert rows[0].startswith("| Ours (best.keras), frame level |") and rows[0].endswith("| not run | not run |")
    assert rows[2].startswith(f"| Ours (export/pel_int8.tflite), frame level | {auc:.4f} |")
    assert "- `export/pel_int8.tflite`: `run/export/pel_int8.tflite`, ACC threshold 0.5" in markdown
    assert (tmp_path / "export_pel_int8.tflite" / "cross_dfdc_frames.csv").exists()
    assert (tmp_path / "cross_celebdf_frames.csv").exists() and not (tmp_path / "cross_dfdc_frames.csv").exists()


def test_robustness_without_clean_run_is_refused(tmp_path):
    with pytest.raises(ValueError, match="needs its clean run"):
        save_evaluation(tmp_path, "robustness", "m", "ffpp_c40", [Scored("ffpp_c40", _scores(0), "gaussian_blur", 13)])


def test_one_class_dataset_is_labelled_not_nan(tmp_path):
    only_fake = _scores(4, fake_share=1.0)
    save_evaluation(tmp_path, "cross", "m", "wilddeepfake", [Scored("celebdf", only_fake)])
    text = (tmp_path / "results.json").read_text()
    assert "NaN" not in text
    results, markdown = _results(tmp_path)
    assert results["cross"]["m"]["datasets"][0]["frame"]["auc"] is None
    assert "| Ours (m), frame level | n/a | n/a |" in markdown
    assert "ROC-based metrics need both classes; got 0 real and 48 fake samples" in markdown


def test_roc_figure_is_a_real_image(tmp_path):
    items = [Scored("wilddeepfake", _scores(1)), Scored("celebdf", _scores(2, separation=0.1))]
    save_evaluation(tmp_path, "cross", "m", "ffpp_c23", items)
    image = imread(tmp_path / "roc_cross.png")
    assert image.shape[:2] == (500, 1100)
    assert image[..., :3].std() > 0.05


def test_unreadable_results_file_is_named(tmp_path):
    (tmp_path / "results.json").write_text("{oops")
    with pytest.raises(ValueError, match="results.json is not valid JSON"):
        save_evaluation(tmp_path, "intra", "m", "ffpp_c40", [Scored("ffpp_c40", _scores(0))])
    (tmp_path / "results.json").write_text('{"intra": {"model": "m", "datasets": []}}')
    with pytest.raises(ValueError, match=r"results.json is not a results file: expected \{mode: \{model name"):
        save_evaluation(tmp_path, "intra", "m", "ffpp_c40", [Scored("ffpp_c40", _scores(0))])


def test_cross_defaults_are_consistent_with_the_published_columns():
    for train, tests in paper_tables.CROSS_DATASETS.items():
        columns = [paper_tables.PAPER_COLUMNS[tag] for tag in tests]
        for method, numbers in paper_tables.TABLE2[paper_tables.PAPER_TRAINING[train]].items():
            assert [c for c in columns if c in numbers] == list(numbers), (train, method)  # Table 2's, in order
        rows, sources = published("cross", train)
        assert set(rows) == set(sources)
        for method, numbers in rows.items():
            assert set(numbers) - {"FF++ (HQ)"} <= set(columns), (train, method)  # FF++ (HQ): Table 1's column
    for train in ("ffpp_c40", "wilddeepfake"):  # the paper's training sets: exactly Table 2's test sets
        assert len(paper_tables.CROSS_DATASETS[train]) == 4
    standard = {"WildDeepfake", "Celeb-DF", "DFD", "DFDC", "DFDCP"}  # the field's five, for FF++ c23 and raw
    for train in ("ffpp_c23", "ffpp_raw"):
        assert {paper_tables.PAPER_COLUMNS[t] for t in paper_tables.cross_datasets(train)} == standard
    assert paper_tables.cross_datasets("ffpp_c40")[2] == "dfd_c40"
    with pytest.raises(ValueError, match="no cross-dataset set for a model trained on 'celebdf'"):
        paper_tables.cross_datasets("celebdf")


def test_published_rows_come_with_their_source_and_protocol(tmp_path):
    save_evaluation(tmp_path, "cross", "m", "ffpp_c23", [Scored("dfdcp", _scores(0))])
    items = [Scored("ffpp_c23", _scores(1)), Scored("ffpp_c23", _scores(2), "gaussian_blur", 13)]
    save_evaluation(tmp_path, "robustness", "m", "ffpp_c23", items)
    _, markdown = _results(tmp_path)
    cross, robustness = markdown.split("## Robustness")
    assert "| SBI EfficientNet-B4 (official weights), video level | 0.8570 | - |" in cross
    assert "| EfficientNet-B4 (DeepfakeBench), frame level | 0.7283 | - |" in cross
    assert "| PEL (paper) |" not in cross  # the paper has no DFDCP column
    assert "- SBI EfficientNet-B4 (official weights), video level: SBI (Shiohara and Yamasaki, CVPR 2022)" in cross
    assert "DeepfakeBench" not in robustness and "- PEL (paper): Gu et al., AAAI 2022" in robustness
    assert "trained on FF++ (LQ); 50 frames per video at equal intervals, faces found by DSFD" in robustness
    save_evaluation(tmp_path, "cross", "m", "ffpp_c40", [Scored("dfdcp", _scores(0))])
    assert "DeepfakeBench" not in _results(tmp_path)[1]  # a c40 model: the paper's protocol only


def test_an_evaluation_without_a_card_says_so(tmp_path):
    save_evaluation(tmp_path, "intra", "m", "ffpp_c40", [Scored("ffpp_c40", _scores(0))])
    results, markdown = _results(tmp_path)
    assert results["intra"]["m"]["protocol"] is None
    assert "Protocol (`m`):\n- not recorded: evaluated by a version without protocol cards" in markdown
    assert Image.open(tmp_path / "roc_intra.png").text["Title"].endswith("\nprotocol not recorded")


def test_other_compressions_nearest_first():
    assert other_compressions("dfd_c40") == ["dfd_c23", "dfd_raw"]
    assert other_compressions("dfd_c23") == ["dfd_raw", "dfd_c40"]
    assert other_compressions("ffpp_raw") == ["ffpp_c23", "ffpp_c40"]
    assert other_compressions("celebdf") == other_compressions("my_c23") == []
    assert compression_of("ffpp_c23") == "c23" and compression_of("dfdcp") is None


def test_models_measured_alike_share_one_printed_card(tmp_path):
    training = {"train_dataset": "ffpp_c23", "frames": 50, "sbi": True, "selection_metric": "frame_auc"}

    def card(model):
        return build_card(training, str(tmp_path), model, 64, "test", 8, 0.5, {"celebdf": "celebdf"})

    for model in ("best.keras", "export/pel_int8.tflite", "last.keras"):
        items = [Scored("celebdf", _scores(0))]
        save_evaluation(tmp_path, "cross", model, "ffpp_c23", items, name=model, protocol=card(model))
    results, markdown = _results(tmp_path)
    assert results["cross"]["export/pel_int8.tflite"]["protocol"]["checkpoint"]["model"] == "export/pel_int8.tflite"
    assert markdown.count("- Training data: ") == 2
    assert "Protocol (`best.keras`, `export/pel_int8.tflite`):" in markdown and "Protocol (`last.keras`):" in markdown
    best, last = markdown.split("Protocol (`last.keras`):")[:2]
    checkpoint = "the epoch with the highest frame-level AUC on the val split of `ffpp_c23`; no test split takes part"
    assert checkpoint + "\n" in best and checkpoint + "; this model is `last.keras`, the last epoch, not picked" in last
    assert "its real videos only, fakes self-blended from them on the fly (SBI), at most 50 frames per video" in best
    assert "- Test data: the `test` split, at most 8 frames per video, at equal intervals" in best
