"""The published rows printed beside ours, each with the protocol it was measured under and its source.

The paper's rows (Tables 1-3, `paper_tables`) sit beside every model trained on a dataset the paper trains
on (other FF++ qualities beside its FF++ (LQ) models). Models trained on FF++ c23 or raw also get the rows
of the field's standard protocol, which trains on FF++ c23 and tests on Celeb-DF v2, DFD, DFDC and the DFDC
preview: DeepfakeBench's frame-level EfficientNet-B4 and Xception, and SBI's video-level EfficientNet-B4.
Every number below was checked against the source named with it; AUC only (neither source gives EER or,
for these rows, ACC).
"""

from pel_keras.evaluation import paper_tables as paper

# Training sets whose reports show the field's rows.
FIELD_TRAINING = ("ffpp_c23", "ffpp_raw")

DEEPFAKEBENCH = (
    "DeepfakeBench (Yan et al., NeurIPS 2023 Datasets and Benchmarks), the results table of its README "
    "(SCLBD/DeepfakeBench, cited there from the paper, arXiv 2307.01426): trained on FF++ c23, frame-level "
    "AUC; the detectors' configurations (training/config/detector/*.yaml) use 32 frames per video for training "
    "and testing and 256 px crops; faces found and aligned with dlib (README, Preprocessing); checkpoints "
    "chosen by their results on the test sets, not on a validation split (SCLBD/DeepfakeBench issue #91)"
)
SBI = (
    "SBI (Shiohara and Yamasaki, CVPR 2022), its official README (mapooon/SelfBlendedImages): the released "
    "EfficientNet-B4 weights, trained on the real videos of FF++ raw with self-blended fakes; video-level AUC "
    "with 32 frames per video at equal intervals, faces found by RetinaFace, 380 px crops, a frame scored by "
    "its highest-scoring face and a video by the mean of its frames (src/inference); checkpoint: the latest of "
    "the five best by validation AUC (README, src/train_sbi.py); DFD tested at raw quality"
)

# Method row -> (source, {published column: AUC}).
FIELD_AUC = {
    "EfficientNet-B4 (DeepfakeBench), frame level": (
        DEEPFAKEBENCH,
        {"FF++ (HQ)": 0.9567, "Celeb-DF": 0.7487, "DFD": 0.8148, "DFDC": 0.6955, "DFDCP": 0.7283},
    ),
    "Xception (DeepfakeBench), frame level": (
        DEEPFAKEBENCH,
        {"FF++ (HQ)": 0.9637, "Celeb-DF": 0.7365, "DFD": 0.8163, "DFDC": 0.7077, "DFDCP": 0.7374},
    ),
    "SBI EfficientNet-B4 (official weights), video level": (
        SBI,
        {"Celeb-DF": 0.9382, "DFD": 0.9787, "DFDC": 0.7301, "DFDCP": 0.8570},
    ),
}

_PAPER_TABLES = {"intra": lambda block: paper.TABLE1, "cross": paper.TABLE2.get, "robustness": paper.TABLE3.get}


def published(mode, train_dataset):
    """The published rows of `mode`'s table for a model trained on `train_dataset` (a tag).

    Returns:
        `(rows, sources)`: `rows` is `{method: {published column: values}}`, the values laid out as the
        paper's table of `mode` (Table 1: ACC, AUC; Table 2: AUC, EER; Table 3: delta ACC, delta AUC; None
        where not published); `sources` is `{method: the source and protocol of its numbers}`.
    """
    block = paper.PAPER_TRAINING.get(train_dataset)
    training = "each column's dataset (tested on its test split)" if mode == "intra" else block
    rows = dict(_PAPER_TABLES[mode](block) or {})
    sources = {
        method: (paper.PEL_PROTOCOL if method == paper.PEL else paper.OTHERS_PROTOCOL).format(training=training)
        for method in rows
    }
    if train_dataset in FIELD_TRAINING and mode != "robustness":
        for method, (source, aucs) in FIELD_AUC.items():
            rows[method] = {c: (None, auc) if mode == "intra" else (auc, None) for c, auc in aucs.items()}
            sources[method] = source
    return rows, sources
