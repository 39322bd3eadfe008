"""A preset's ``README.md``: its model card in the Hugging Face format.

YAML front matter (``library_name: keras``, license, tags, datasets, metrics) for the Hub's model page, then
how to load and use the detector, what it is for and its limits, the protocol card of each evaluation
(:func:`pel_keras.protocol.card_lines`), the results table of ``RUN/eval/results.json`` and the paper's
citation. Everything is taken from the preset's ``metadata.json`` and the run's results.
"""

from pel_keras.protocol import card_lines
from pel_keras.run_results import TABLE_HEAD, evaluation_rows

CITATION = """@inproceedings{gu2022exploiting,
  title     = {Exploiting Fine-grained Face Forgery Clues via Progressive Enhancement Learning},
  author    = {Gu, Qiqi and Chen, Shen and Yao, Taiping and Chen, Yang and Ding, Shouhong and Yi, Ran},
  booktitle = {Proceedings of the AAAI Conference on Artificial Intelligence},
  volume    = {36},
  number    = {1},
  pages     = {735--743},
  year      = {2022}
}"""

TAGS = ("deepfake-detection", "face-forgery-detection", "image-classification", "keras", "pel")


def _front_matter(metadata, license):
    dataset = metadata["training"].get("dataset")
    lines = ["---", "library_name: keras", f"license: {license}", "pipeline_tag: image-classification", "tags:"]
    lines += [f"  - {tag}" for tag in TAGS]
    lines += ["datasets:", f"  - {dataset}"] if dataset else []
    lines += ["metrics:", "  - roc_auc", "  - accuracy", "---"]
    return lines


def _use(metadata):
    face = metadata["contract"]["input"]
    height, width = face["shape"][1:3]
    return [
        "## How to use",
        "",
        "```python",
        "import pel_keras",
        "",
        'detector = pel_keras.from_preset("hf://OWNER/NAME")  # or a local folder, or kaggle://...',
        'probability = detector.predict_file("clip.mp4")      # fake when above detector.threshold',
        "```",
        "",
        f"or `python predict.py clip.mp4 --model=hf://OWNER/NAME`. Each video is scored on "
        f"{metadata['frames_per_video']} frames sampled at equal intervals; in each, the largest face "
        f"{face['face_detector']} finds is cut square at {face['crop_margin']} x its box and resized to "
        f"{width} x {height} px (RGB, 0..255; the model rescales). The video's score is the mean of its frames' "
        f"fake probabilities, called fake above {metadata['threshold']['value']}. `metadata.json` holds "
        "these settings and the sha256 of every file, checked before loading.",
    ]


def _purpose(metadata):
    return [
        "## Intended use and limits",
        "",
        "A research detector of face forgeries (face swaps and reenactment, as in FaceForensics++) in videos "
        f"and photos of one or a few frontal faces, trained on `{metadata['training'].get('dataset')}`. It "
        "gives a probability, not proof: its accuracy drops on manipulations, compressions and datasets "
        "unlike its training data (see the cross-dataset rows, when evaluated), on faces the detector misses "
        "and on heavily processed media. Do not use it alone to decide about a person.",
    ]


def _protocol(metadata):
    evaluations = metadata.get("evaluations") or []
    if not evaluations:
        return ["## Protocol and results", "", "Not evaluated: `evaluate.py` had not been run on this model."]
    lines = ["## Protocol and results"]
    for evaluation in evaluations:
        lines += ["", f"Protocol of the {evaluation['mode']} evaluation:"]
        lines += card_lines(evaluation["protocol"]) if evaluation.get("protocol") else ["- not recorded"]
    return lines


def model_card(metadata, license):
    """The text of ``README.md``.

    Args:
        metadata: the preset's ``metadata.json`` content (its ``evaluations`` give the protocol and results).
        license: the license identifier of the Hub's metadata (``apache-2.0``).
    """
    lines = _front_matter(metadata, license)
    model = metadata["model"]
    lines += ["", f"# PEL face-forgery detector ({model['backbone']}, {model['image_size']} px)", ""]
    lines += [
        "PEL (Progressive Enhancement Learning, Gu et al., AAAI 2022, arXiv:2112.13977) in Keras 3, made with "
        f"pel_keras {metadata['versions']['pel_keras']}. Output: the probability that a face crop is fake "
        "(label 1 = fake, 0 = real).",
        "",
    ]
    lines += _use(metadata) + [""] + _purpose(metadata) + [""] + _protocol(metadata)
    rows = evaluation_rows({e["mode"]: {e["model"]: e} for e in metadata.get("evaluations") or []})
    lines += ["", TABLE_HEAD, *rows] if rows else []
    lines += ["", "## Citation", "", "```bibtex", CITATION, "```"]
    return "\n".join(lines) + "\n"
