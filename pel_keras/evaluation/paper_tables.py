"""The paper's published numbers (Tables 1-3) and how the project's dataset tags line up with them.

Copied from Gu et al., AAAI 2022, so that reports print them beside ours. ACC and delta-ACC are fractions
(97.63% -> 0.9763); None where the paper prints "-". Values are as printed, including two oddities: in
Table 2 Xception's EER on WildDeepfake is 0.6191 (above 0.5), and in Table 3 Add-Net's FF++ (LQ)
salt-and-pepper and blur entries are identical. The paper marks with a dagger the numbers its authors
obtained by re-running competitors: the WildDeepfake columns of Table 1, all of Table 2 and the
Add-Net, F3-Net and Multi-Att rows of Table 3. Table 1's "FDL" row is the FDFL method of the text.
"""

PEL = "PEL (paper)"

# The protocol of the paper's rows, as far as the paper states it (Gu et al., AAAI 2022, Section 4.1).
PEL_PROTOCOL = (
    "Gu et al., AAAI 2022, Tables 1-3 and Section 4.1: trained on {training}; 50 frames per video at equal "
    "intervals, faces found by DSFD and resized to 320 x 320 (FF++) or 224 x 224 (WildDeepfake); the paper "
    "does not state frame or video level, the crop margin, the split that picked the checkpoint or the ACC "
    "threshold"
)
OTHERS_PROTOCOL = (
    "the other methods' rows, from the same tables: numbers the PEL paper copied from each method's own paper, "
    "or obtained by re-running it where the paper marks them with a dagger (Table 1's WildDeepfake columns, all "
    "of Table 2, Table 3's Add-Net, F3-Net and Multi-Att rows); trained on {training}; their protocols are those "
    "of their sources and are not stated in the PEL paper"
)

# Dataset tags used across the project and their names in reports.
DATASET_NAMES = {
    "ffpp_c23": "FF++ (HQ)",
    "ffpp_c40": "FF++ (LQ)",
    "ffpp_raw": "FF++ (raw)",
    "dfd_raw": "DFD (raw)",
    "dfd_c23": "DFD (c23)",
    "dfd_c40": "DFD (c40)",
    "celebdf": "Celeb-DF",
    "dfdc": "DFDC",
    "dfdcp": "DFDCP",
    "wilddeepfake": "WildDeepfake",
}

# The published column each tag is compared with (the paper does not say which DFD quality it used; DFDCP
# is not in the paper, only in the field's protocol, see `published.py`).
PAPER_COLUMNS = {
    "ffpp_c23": "FF++ (HQ)",
    "ffpp_c40": "FF++ (LQ)",
    "dfd_raw": "DFD",
    "dfd_c23": "DFD",
    "dfd_c40": "DFD",
    "celebdf": "Celeb-DF",
    "dfdc": "DFDC",
    "dfdcp": "DFDCP",
    "wilddeepfake": "WildDeepfake",
}

# Tables 2 and 3 report models trained on FF++ (LQ) or WildDeepfake; other FF++ qualities are shown beside
# the FF++ (LQ) rows, and the report says so.
PAPER_TRAINING = {
    "ffpp_c23": "FF++ (LQ)",
    "ffpp_c40": "FF++ (LQ)",
    "ffpp_raw": "FF++ (LQ)",
    "wilddeepfake": "WildDeepfake",
}

# The default test datasets of `evaluate.py --cross` for each training set: Table 2's for the paper's training
# sets (FF++ LQ, WildDeepfake); for FF++ c23 and raw the field's standard five (Celeb-DF v2, DFD, DFDC, the
# DFDC preview, WildDeepfake). DFD at the training set's compression (raw -> c23, as FF++ ships DFD); where
# only another compression of a dataset is prepared, evaluation uses it and says so.
CROSS_DATASETS = {
    "ffpp_c23": ("wilddeepfake", "celebdf", "dfd_c23", "dfdc", "dfdcp"),
    "ffpp_c40": ("wilddeepfake", "celebdf", "dfd_c40", "dfdc"),
    "ffpp_raw": ("wilddeepfake", "celebdf", "dfd_c23", "dfdc", "dfdcp"),
    "wilddeepfake": ("ffpp_c40", "celebdf", "dfd_c23", "dfdc"),
}

# Table 3's column names for the perturbations of `pel_keras.data.perturb`.
PERTURBATION_NAMES = {
    "gaussian_noise": "GaussianNoise",
    "salt_and_pepper": "SaltPepperNoise",
    "gaussian_blur": "GaussianBlur",
}

# Table 1: method -> {test set: (ACC, AUC)}, trained and tested on the same dataset.
TABLE1 = {
    "C-Conv": {"FF++ (HQ)": (0.8297, None), "FF++ (LQ)": (0.6684, None)},
    "CP-CNN": {"FF++ (HQ)": (0.7908, None), "FF++ (LQ)": (0.6118, None)},
    "MesoNet": {"FF++ (HQ)": (0.8310, None), "FF++ (LQ)": (0.7047, None)},
    "Xception": {"FF++ (HQ)": (0.9573, None), "FF++ (LQ)": (0.8686, None), "WildDeepfake": (0.7999, 0.8886)},
    "Face X-ray": {"FF++ (HQ)": (None, 0.8735), "FF++ (LQ)": (None, 0.6160)},
    "Two-branch RN": {"FF++ (HQ)": (0.9643, 0.9870), "FF++ (LQ)": (0.8634, 0.8659)},
    "Add-Net": {"FF++ (HQ)": (0.9678, 0.9774), "FF++ (LQ)": (0.8750, 0.9101), "WildDeepfake": (0.7631, 0.8328)},
    "F3-Net": {"FF++ (HQ)": (0.9752, 0.9810), "FF++ (LQ)": (0.9043, 0.9330), "WildDeepfake": (0.8066, 0.8753)},
    "FDFL": {"FF++ (HQ)": (0.9669, 0.9930), "FF++ (LQ)": (0.8900, 0.9240)},
    "Multi-Att": {"FF++ (HQ)": (0.9760, 0.9929), "FF++ (LQ)": (0.8869, 0.9040), "WildDeepfake": (0.8199, 0.9057)},
    PEL: {"FF++ (HQ)": (0.9763, 0.9932), "FF++ (LQ)": (0.9052, 0.9428), "WildDeepfake": (0.8414, 0.9162)},
}

# Table 2: training set -> method -> {test set: (AUC, EER)}.
TABLE2 = {
    "FF++ (LQ)": {
        "Xception": {
            "WildDeepfake": (0.6059, 0.6191),
            "Celeb-DF": (0.6005, 0.4319),
            "DFD": (0.6543, 0.3933),
            "DFDC": (0.5565, 0.4605),
        },
        "Add-Net": {
            "WildDeepfake": (0.5421, 0.4621),
            "Celeb-DF": (0.5783, 0.4444),
            "DFD": (0.5716, 0.4531),
            "DFDC": (0.5160, 0.5477),
        },
        "F3-Net": {
            "WildDeepfake": (0.6049, 0.4341),
            "Celeb-DF": (0.6795, 0.3676),
            "DFD": (0.6950, 0.3539),
            "DFDC": (0.5787, 0.4423),
        },
        "Multi-Att": {
            "WildDeepfake": (0.6565, 0.3965),
            "Celeb-DF": (0.6864, 0.3708),
            "DFD": (0.7418, 0.3272),
            "DFDC": (0.6302, 0.4098),
        },
        PEL: {
            "WildDeepfake": (0.6739, 0.3825),
            "Celeb-DF": (0.6918, 0.3569),
            "DFD": (0.7586, 0.3084),
            "DFDC": (0.6331, 0.4043),
        },
    },
    "WildDeepfake": {
        "Xception": {
            "FF++ (LQ)": (0.5920, 0.4306),
            "Celeb-DF": (0.7791, 0.2944),
            "DFD": (0.8114, 0.2620),
            "DFDC": (0.5702, 0.4510),
        },
        "Add-Net": {
            "FF++ (LQ)": (0.5388, 0.4720),
            "Celeb-DF": (0.6212, 0.4151),
            "DFD": (0.6877, 0.3682),
            "DFDC": (0.5337, 0.4732),
        },
        "F3-Net": {
            "FF++ (LQ)": (0.5595, 0.4549),
            "Celeb-DF": (0.6088, 0.4276),
            "DFD": (0.7827, 0.2878),
            "DFDC": (0.5240, 0.4842),
        },
        "Multi-Att": {
            "FF++ (LQ)": (0.6276, 0.4097),
            "Celeb-DF": (0.7695, 0.2811),
            "DFD": (0.8416, 0.2374),
            "DFDC": (0.5665, 0.4534),
        },
        PEL: {
            "FF++ (LQ)": (0.6160, 0.4179),
            "Celeb-DF": (0.8294, 0.2424),
            "DFD": (0.8680, 0.1997),
            "DFDC": (0.5894, 0.4300),
        },
    },
}

# Table 3: training (= test) set -> method -> {perturbation: (delta ACC, delta AUC)}.
TABLE3 = {
    "FF++ (LQ)": {
        "Xception": {
            "gaussian_noise": (-0.0265, -0.0397),
            "salt_and_pepper": (-0.3244, -0.3330),
            "gaussian_blur": (-0.0622, -0.1994),
        },
        "Add-Net": {
            "gaussian_noise": (-0.4151, -0.2862),
            "salt_and_pepper": (-0.1128, -0.3445),
            "gaussian_blur": (-0.1128, -0.3445),
        },
        "F3-Net": {
            "gaussian_noise": (-0.0986, -0.0838),
            "salt_and_pepper": (-0.3108, -0.3891),
            "gaussian_blur": (-0.1108, -0.2077),
        },
        "Multi-Att": {
            "gaussian_noise": (-0.0179, -0.0058),
            "salt_and_pepper": (-0.4930, -0.2494),
            "gaussian_blur": (-0.1223, -0.2475),
        },
        PEL: {
            "gaussian_noise": (-0.0010, -0.0031),
            "salt_and_pepper": (-0.0939, -0.2079),
            "gaussian_blur": (-0.0741, -0.1274),
        },
    },
    "WildDeepfake": {
        "Xception": {
            "gaussian_noise": (-0.0098, -0.0082),
            "salt_and_pepper": (-0.2780, -0.1373),
            "gaussian_blur": (-0.1271, -0.0664),
        },
        "Add-Net": {
            "gaussian_noise": (-0.1166, -0.3327),
            "salt_and_pepper": (-0.1821, -0.3589),
            "gaussian_blur": (-0.1291, -0.1895),
        },
        "F3-Net": {
            "gaussian_noise": (-0.0117, -0.0248),
            "salt_and_pepper": (-0.4357, -0.3407),
            "gaussian_blur": (-0.1243, -0.1567),
        },
        "Multi-Att": {
            "gaussian_noise": (-0.0099, -0.0139),
            "salt_and_pepper": (-0.2947, -0.1813),
            "gaussian_blur": (-0.1486, -0.1829),
        },
        PEL: {
            "gaussian_noise": (-0.0086, -0.0050),
            "salt_and_pepper": (-0.0425, -0.0483),
            "gaussian_blur": (-0.1088, -0.1216),
        },
    },
}


def cross_datasets(train_dataset):
    """The default cross-dataset test sets (tags) for a model trained on `train_dataset` (a tag)."""
    if train_dataset not in CROSS_DATASETS:
        raise ValueError(
            f"the paper has no cross-dataset set for a model trained on {train_dataset!r} (it has one for "
            f"{', '.join(CROSS_DATASETS)}); name the test datasets explicitly"
        )
    return CROSS_DATASETS[train_dataset]
