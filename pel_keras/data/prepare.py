"""Parallel, resumable preparation: raw dataset -> ``DATA_DIR/<tag>/{crops/, manifest.csv, failures.csv}``.

For every source video: sample ``frames`` frames at equal intervals over what decodes, detect faces,
keep the largest, crop it square with ``margin`` and border padding, resize to ``size`` and store it as
PNG (lossless: JPEG would add the very compression traces the detector learns). This is the paper's
preprocessing (Gu et al., AAAI 2022, §4.1) with an offline detector in place of DSFD.

Resumable: a video's crops are written into ``crops/<video>.partial/`` and renamed when complete; then its
outcome is stored in ``records/<video>.json``. A re-run skips videos with a stored ``ok`` or ``no_face``
outcome and retries errors. Sharding (``shard=(k, n)``) assigns each video to one of ``n`` parts by a hash
of its id, so ``n`` machines can write into the same output; each rewrites the manifest from every
stored outcome, and a last run without sharding (or of any shard) after all finish gives the full one.
"""

import dataclasses
import json
import logging
import math
import multiprocessing
import os
import shutil

import cv2
import tqdm

from pel_keras.data import manifest
from pel_keras.data.datasets import FFPP_METHODS, dataset_tag, read_dataset
from pel_keras.data.datasets.records import stable_fraction
from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS
from pel_keras.data.faces import crop_face, detect_faces, make_detector
from pel_keras.data.video import MediaError, sample_frames
from pel_keras.files.atomic import atomic_write

log = logging.getLogger(__name__)

# Settings that change the crops: a resumed run must use the same ones.
CROP_SETTINGS = ("frames", "size", "margin", "detector")


@dataclasses.dataclass(frozen=True)
class PrepareConfig:
    """What :func:`prepare` does (the flags of ``prepare.py``).

    Attributes:
        dataset: ``ffpp``, ``dfd``, ``celebdf``, ``dfdc``, ``wilddeepfake`` or ``folder``.
        input: the raw dataset's root; output: ``DATA_DIR`` (the tag folder is made inside).
        compression: FF++/DFD quality (``raw``, ``c23``, ``c40``); methods: FF++ methods.
        frames: frames sampled per video; size: crop side; margin: crop side / detected box side.
        detector: a name from :data:`pel_keras.data.faces.DETECTORS`, or ``auto`` (``none`` for
            WildDeepfake, whose images are face crops already; ``yunet`` otherwise).
        workers: processes (0 = one per CPU core); shard: ``(k, n)``, part ``k`` (1-based) of ``n``.
        val_fraction: share of training sources carved into val (DFDC, WildDeepfake).
        max_megapixels: a video or image whose frames are larger is refused before decoding (an error).
    """

    dataset: str
    input: str
    output: str
    compression: str = "c23"
    methods: tuple = FFPP_METHODS
    frames: int = 50
    size: int = 320
    margin: float = 1.3
    detector: str = "auto"
    workers: int = 0
    shard: tuple = (1, 1)
    val_fraction: float = 0.1
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS

    def __post_init__(self):
        k, n = self.shard
        if not 1 <= k <= n:
            raise ValueError(f"shard must be K/N with 1 <= K <= N, got {k}/{n}")
        if self.frames < 1 or self.size < 1 or self.margin <= 0:
            raise ValueError(f"need frames >= 1, size >= 1, margin > 0; got {self.frames}, {self.size}, {self.margin}")
        if self.detector == "auto":
            object.__setattr__(self, "detector", "none" if self.dataset == "wilddeepfake" else "yunet")


@dataclasses.dataclass
class Summary:
    """Counts of one :func:`prepare` run (``this shard`` = the videos this run was responsible for)."""

    out_dir: str
    videos: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    no_face_videos: int = 0
    frames: int = 0
    crops: int = 0
    no_face_frames: int = 0
    manifest_rows: int = 0

    def add(self, outcome):
        self.done += outcome["status"] == "ok"
        self.failed += outcome["status"] == "error"
        self.no_face_videos += outcome["status"] == "no_face"
        self.frames += outcome["frames"]
        self.crops += len(outcome["rows"])
        self.no_face_frames += outcome["frames"] - len(outcome["rows"])


def in_shard(video, shard):
    """Whether ``video`` belongs to part ``k`` of ``n`` (a fixed function of the id alone)."""
    k, n = shard
    return int(stable_fraction(video) * n) == k - 1


def _row(record, relative_path, index, face, landmarks):
    score = "" if math.isnan(face.score) else f"{face.score:.4f}"
    points = "" if landmarks is None else " ".join(f"{v:.1f}" for v in landmarks.ravel())
    return {
        "path": relative_path, "label": record.label, "video": record.video, "split": record.split,
        "source": record.source, "frame": index, "score": score,
        "box": " ".join(f"{v:.1f}" for v in face.box), "landmarks": points,
    }


def crop_video(record, config, detector, out_dir):
    """Samples, detects, crops and writes one video's faces; returns its outcome (see :func:`prepare`)."""
    final = os.path.join(out_dir, "crops", record.video)
    partial = final + ".partial"
    for leftover in (partial, final):  # from an interrupted run: this video has no stored outcome
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        frames = sample_frames(record.path, config.frames, config.max_megapixels)
    except (MediaError, cv2.error) as error:
        return {"status": "error", "reason": str(error), "frames": 0, "rows": []}
    os.makedirs(partial)
    rows = []
    for index, frame in frames:
        faces = detect_faces(frame, detector, channels="bgr")
        if not faces:
            continue
        crop, landmarks = crop_face(frame, faces[0], config.size, config.margin)
        name = f"{index:06d}.png"
        if not cv2.imwrite(os.path.join(partial, name), crop):
            raise OSError(f"could not write {os.path.join(partial, name)}")
        rows.append(_row(record, f"crops/{record.video}/{name}", index, faces[0], landmarks))
    if rows:
        os.rename(partial, final)
        return {"status": "ok", "reason": "", "frames": len(frames), "rows": rows}
    shutil.rmtree(partial)
    return {"status": "no_face", "reason": f"no face in any of {len(frames)} sampled frames", "frames": len(frames), "rows": []}


_worker = {}


def _init_worker(config, pooled):
    # Parallelism comes from processes. YuNet's OpenMP would start one thread per core in each, and its
    # threads collapse when cores are shared (measured ~10x slower): one thread, forced in pool workers,
    # in the calling process unless the user chose otherwise (it only counts before yuface loads).
    if pooled:
        os.environ["OMP_NUM_THREADS"] = "1"
        cv2.setNumThreads(1)
    else:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    _worker["config"], _worker["detector"] = config, make_detector(config.detector)


def _process(job):
    record, out_dir = job
    outcome = crop_video(record, _worker["config"], _worker["detector"], out_dir)
    manifest.save_record(out_dir, record.video, outcome)
    return record, outcome


def _check_settings(out_dir, config):
    """Stores the crop settings on the first run; refuses to resume with different ones."""
    path = os.path.join(out_dir, "prepare.json")
    settings = {name: getattr(config, name) for name in CROP_SETTINGS}
    if os.path.isfile(path):
        with open(path) as f:
            stored = json.load(f)
        if stored != settings:
            raise ValueError(f"{out_dir} was prepared with {stored}; this run asks for {settings}. "
                             "Use the same settings to resume, or another output folder.")
    else:
        atomic_write(path, json.dumps(settings, indent=2))


def _run(jobs, config):
    """Yields ``(record, outcome)`` as videos finish, in this process or a pool of ``workers``."""
    workers = min(config.workers or os.cpu_count() or 1, max(1, len(jobs)))
    if workers == 1:
        _init_worker(config, pooled=False)
        yield from map(_process, jobs)
        return
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker, (config, True)) as pool:
        yield from pool.imap_unordered(_process, jobs)


def prepare(config):
    """Prepares ``config.dataset`` into ``config.output/<tag>/``; returns a :class:`Summary`.

    Per-video failures (unreadable or non-video files) are stored, listed in ``failures.csv`` and
    counted, and the run goes on; so are videos without any face (kind ``no_face``).
    """
    records = read_dataset(config.dataset, config.input, config.compression, config.methods, config.val_fraction)
    out_dir = os.path.join(config.output, dataset_tag(config.dataset, config.input, config.compression))
    os.makedirs(out_dir, exist_ok=True)
    _check_settings(out_dir, config)
    mine = [r for r in records if in_shard(r.video, config.shard)]
    summary = Summary(out_dir, videos=len(mine))
    jobs = []
    for record in mine:
        stored = manifest.load_record(out_dir, record.video)
        if stored is not None and stored["status"] != "error":
            summary.skipped += 1
        else:
            jobs.append((record, out_dir))
    for record, outcome in tqdm.tqdm(_run(jobs, config), total=len(jobs), unit="video", disable=None):
        summary.add(outcome)
        if outcome["status"] != "ok":
            log.warning("%s: %s", record.video, outcome["reason"])
    summary.manifest_rows = manifest.write_outputs(out_dir, records)
    return summary
