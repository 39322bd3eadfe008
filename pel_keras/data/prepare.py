"""Parallel, resumable preparation: raw dataset -> ``DATA_DIR/<tag>/{crops/, manifest.csv, failures.csv}``.

For every source video: sample ``frames`` frames at equal intervals over what decodes, detect faces,
keep the largest, crop it square with ``margin`` and border padding, resize to ``size`` and store it as
PNG (lossless: JPEG would add the very compression traces the detector learns). This is the paper's
preprocessing (Gu et al., AAAI 2022, §4.1) with an offline detector in place of DSFD.

Resumable: a worker writes a video's crops into a staging folder and flushes them to the disk; the run
renames the folder to ``crops/<video>/`` and then stores the video's outcome in ``records/<video>.json``
(see :mod:`pel_keras.data.output_folder`). A re-run skips videos with a stored ``ok`` outcome whose crops
are all there and whole, or a ``no_face`` one, and does the others again. Workers die with the run.
Sharding (``shard=(k, n)``) assigns each video to one of ``n`` parts by a hash of its id, so ``n``
machines can write into the same output; each rewrites the manifest from every stored outcome, one at a
time, so the last shard to end writes the full one.

Runners: ``local`` runs :func:`prepare_video` in a process pool; ``beam`` runs the same function in an Apache
Beam pipeline (:mod:`pel_keras.data.beam_runner`). With ``format="tfrecord"`` the run that ends with every
video of the dataset recorded also writes the crops as TFRecord shards (:mod:`pel_keras.data.convert_shards`).
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

from pel_keras.data import manifest, output_folder
from pel_keras.data.datasets import FFPP_METHODS, dataset_tag, read_dataset
from pel_keras.data.datasets.source_records import stable_fraction
from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS
from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN, crop_face, detect_faces, make_detector
from pel_keras.data.shards import DEFAULT_EXAMPLES_PER_SHARD
from pel_keras.data.video import MediaError, sample_frames
from pel_keras.files.atomic import atomic_write, fsync_path, reporting_a_full_disk
from pel_keras.processes import die_with_parent

log = logging.getLogger(__name__)

# Settings that change the crops: a resumed run must use the same ones; manifest.SETTINGS stores them.
CROP_SETTINGS = ("frames", "size", "margin", "detector")
FORMATS, RUNNERS = ("png", "tfrecord"), ("local", "beam")
BEAM_INSTALL = 'pip install "pel-keras[beam]" (or apache-beam==2.77.0)'


@dataclasses.dataclass(frozen=True)
class PrepareConfig:
    """What :func:`prepare` does (the flags of ``prepare.py``).

    Attributes:
        dataset: ``ffpp``, ``dfd``, ``celebdf``, ``dfdc``, ``dfdcp``, ``wilddeepfake`` or ``folder``.
        input: the raw dataset's root; output: ``DATA_DIR`` (the tag folder is made inside).
        compression: FF++/DFD quality (``raw``, ``c23``, ``c40``); methods: FF++ methods.
        frames: frames sampled per video; size: crop side; margin: crop side / detected box side.
        detector: a name from :data:`pel_keras.data.faces.DETECTORS`, or ``auto`` (``none`` for
            WildDeepfake, whose images are face crops already; ``yunet`` otherwise).
        workers: processes (0 = one per CPU core); shard: ``(k, n)``, part ``k`` (1-based) of ``n``.
        val_fraction: share of training sources carved into val (DFDC, DFDCP, WildDeepfake).
        max_megapixels: a video or image whose frames are larger is refused before decoding (an error).
        format: ``png`` (the crops as PNG files) or ``tfrecord`` (also TFRecord shards of them, written
            once every video of the dataset has an outcome; see :mod:`pel_keras.data.shards`);
            examples_per_shard: crops per shard file.
        runner: ``local`` (a process pool) or ``beam`` (an Apache Beam pipeline, see
            :mod:`pel_keras.data.beam_runner`); beam_options: the pipeline's options, as on a command line.
    """

    dataset: str
    input: str
    output: str
    compression: str = "c23"
    methods: tuple = FFPP_METHODS
    frames: int = 50
    size: int = 320
    margin: float = DEFAULT_MARGIN
    detector: str = "auto"
    workers: int = 0
    shard: tuple = (1, 1)
    val_fraction: float = 0.1
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS
    format: str = "png"
    examples_per_shard: int = DEFAULT_EXAMPLES_PER_SHARD
    runner: str = "local"
    beam_options: str = ""

    def __post_init__(self):
        k, n = self.shard
        if not 1 <= k <= n:
            raise ValueError(f"shard must be K/N with 1 <= K <= N, got {k}/{n}")
        if self.frames < 1 or self.size < 1 or self.margin <= 0:
            raise ValueError(f"need frames >= 1, size >= 1, margin > 0; got {self.frames}, {self.size}, {self.margin}")
        if self.format not in FORMATS or self.runner not in RUNNERS:
            raise ValueError(
                f"format must be one of {FORMATS} and runner one of {RUNNERS}; got {self.format}, {self.runner}"
            )
        if self.detector == "auto":
            object.__setattr__(self, "detector", "none" if self.dataset == "wilddeepfake" else DEFAULT_DETECTOR)


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
    shards: int = 0

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
        "path": relative_path,
        "label": record.label,
        "video": record.video,
        "split": record.split,
        "source": record.source,
        "frame": index,
        "score": score,
        "box": " ".join(f"{v:.1f}" for v in face.box),
        "landmarks": points,
    }


def write_png(path, image):
    """Writes ``image`` (BGR) as a PNG file at ``path`` and flushes it to the disk."""
    encoded, data = cv2.imencode(".png", image)
    if not encoded:
        raise ValueError(f"OpenCV cannot encode a {image.shape} image as PNG for {path}")
    with open(path, "wb") as f:
        f.write(data.tobytes())
        os.fsync(f.fileno())


def crop_video(record, config, detector, staging):
    """Samples, detects, crops and writes one video's faces into ``staging/<video id>/``.

    Returns:
        ``(outcome, folder)``: the outcome (see :func:`prepare`) and the folder holding the crops, flushed
        to the disk, or None when there is no crop.
    """
    try:
        frames = sample_frames(record.path, config.frames, config.max_megapixels)
    except (MediaError, cv2.error, OSError) as error:  # whatever reason the reader gives goes to failures.csv
        return {"status": "error", "reason": str(error), "frames": 0, "rows": []}, None
    folder = os.path.join(staging, record.video)
    os.makedirs(folder)
    rows = []
    for index, frame in frames:
        faces = detect_faces(frame, detector, channels="bgr")
        if not faces:
            continue
        crop, landmarks = crop_face(frame, faces[0], config.size, config.margin)
        name = f"{index:06d}.png"
        write_png(os.path.join(folder, name), crop)
        rows.append(_row(record, f"crops/{record.video}/{name}", index, faces[0], landmarks))
    if not rows:
        os.rmdir(folder)
        reason = f"no face in any of {len(frames)} sampled frames"
        return {"status": "no_face", "reason": reason, "frames": len(frames), "rows": []}, None
    fsync_path(folder)
    return {"status": "ok", "reason": "", "frames": len(frames), "rows": rows}, folder


_worker = {}


def _init_worker(config, pooled):
    # Parallelism comes from processes. YuNet's OpenMP would start one thread per core in each, and its
    # threads collapse when cores are shared (measured ~10x slower): one thread, forced in pool workers,
    # in the calling process unless the user chose otherwise (it only counts before yuface loads).
    if pooled:
        die_with_parent()
        os.environ["OMP_NUM_THREADS"] = "1"
        cv2.setNumThreads(1)
    else:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    _worker["config"], _worker["detector"] = config, make_detector(config.detector)


def prepare_video(record, out_dir, config, detector):
    """The work on one video, whatever runs it: :func:`crop_video` into the staging folder of ``config.shard``
    (emptied first of what an earlier attempt at the same video left).

    Returns:
        ``(outcome, staged crop folder or None)``, for :func:`pel_keras.data.output_folder.put_in_place`.

    Raises:
        DiskFullError: the output's disk is full.
    """
    staging = output_folder.staging_folder(out_dir, config.shard)
    shutil.rmtree(os.path.join(staging, record.video), ignore_errors=True)
    with reporting_a_full_disk(out_dir):
        return crop_video(record, config, detector, staging)


def _process(job):
    record, out_dir = job
    return record, *prepare_video(record, out_dir, _worker["config"], _worker["detector"])


def _check_settings(out_dir, config):
    """Stores the crop settings on the first run; refuses to resume with different ones."""
    settings = {name: getattr(config, name) for name in CROP_SETTINGS}
    stored = manifest.read_settings(out_dir)
    if stored is None:
        atomic_write(os.path.join(out_dir, manifest.SETTINGS), json.dumps(settings, indent=2), durable=True)
    elif stored != settings:
        raise ValueError(
            f"{out_dir} was prepared with {stored}; this run asks for {settings}. "
            "Use the same settings to resume, or another output folder."
        )


def _run(jobs, config):
    """Yields ``(record, outcome, staged crops)`` as videos finish, in this process or a pool of ``workers``."""
    workers = min(config.workers or os.cpu_count() or 1, max(1, len(jobs)))
    if workers == 1:
        _init_worker(config, pooled=False)
        yield from map(_process, jobs)
        return
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker, (config, True)) as pool:
        yield from pool.imap_unordered(_process, jobs)


def _run_local(records, out_dir, config):
    """Yields ``(record, outcome)`` as videos finish, each put in place (crops, then record) by this process."""
    jobs = [(record, out_dir) for record in records]
    for record, outcome, staged in tqdm.tqdm(_run(jobs, config), total=len(jobs), unit="video", disable=None):
        output_folder.put_in_place(out_dir, record.video, outcome, staged)
        yield record, outcome


def _beam_runner():
    """:mod:`pel_keras.data.beam_runner`; a ValueError saying what to install where Apache Beam is missing."""
    try:
        from pel_keras.data import beam_runner
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("apache_beam"):
            raise
        raise ValueError(f"--runner=beam needs Apache Beam, an optional extra: {BEAM_INSTALL}") from None
    return beam_runner


def _run_beam(records, out_dir, config):
    """Yields ``(record, outcome)`` of every video once an Apache Beam pipeline has prepared them all."""
    _beam_runner().run(records, out_dir, config, prepare_video)
    for record in records:
        yield record, manifest.load_record(out_dir, record.video)


def _trusted(out_dir, video):
    """Whether the stored outcome of ``video`` stands: ``no_face``, or ``ok`` with every crop whole."""
    stored = manifest.load_record(out_dir, video)
    if stored is None or stored["status"] == "error":
        return False
    broken = manifest.incomplete_crop(out_dir, stored)
    if broken is not None:
        log.warning("%s: %s is missing or incomplete; preparing the video again", video, broken)
    return broken is None


def prepare(config):
    """Prepares ``config.dataset`` into ``config.output/<tag>/``; returns a :class:`Summary`.

    Per-video failures (unreadable or non-video files) are stored, listed in ``failures.csv`` and
    counted, and the run goes on; so are videos without any face (kind ``no_face``).

    Raises:
        FolderLockedError: another process writes this shard of the output (or another sharding of it).
        DiskFullError: the output's disk is full; finished videos are kept, the run resumes once freed.
        ValueError: ``runner="beam"`` without Apache Beam installed (the message says what to install).
    """
    if config.runner == "beam":
        _beam_runner()  # missing Apache Beam is said before any work
    records = read_dataset(config.dataset, config.input, config.compression, config.methods, config.val_fraction)
    out_dir = os.path.join(config.output, dataset_tag(config.dataset, config.input, config.compression))
    os.makedirs(out_dir, exist_ok=True)
    with output_folder.writer_lock(out_dir, config.shard):
        with output_folder.shared_files(out_dir):
            _check_settings(out_dir, config)
        mine = [r for r in records if in_shard(r.video, config.shard)]
        jobs = [r for r in mine if not _trusted(out_dir, r.video)]
        summary = Summary(out_dir, videos=len(mine), skipped=len(mine) - len(jobs))
        run = _run_beam if config.runner == "beam" else _run_local
        with output_folder.staging(out_dir, config.shard):
            for record, outcome in run(jobs, out_dir, config):
                summary.add(outcome)
                if outcome["status"] != "ok":
                    log.warning("%s: %s", record.video, outcome["reason"])
        with output_folder.shared_files(out_dir):
            summary.manifest_rows = manifest.write_outputs(out_dir, records)
            if config.format == "tfrecord" and manifest.all_recorded(out_dir, records):
                from pel_keras.data.convert_shards import write_shards  # TensorFlow: only in this process, only here

                summary.shards = len(write_shards(out_dir, config.examples_per_shard))
    return summary
