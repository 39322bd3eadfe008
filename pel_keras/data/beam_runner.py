"""``prepare.py --runner=beam``: the per-video work of :mod:`pel_keras.data.prepare` as an Apache Beam pipeline.

The pipeline is ``Create(videos) | Reshuffle | ParDo(prepare and put in place)``: every worker runs
:func:`pel_keras.data.prepare.prepare_video` (the function the local runner's processes run) on a video, then
:func:`pel_keras.data.output_folder.put_in_place` (crops renamed into ``crops/``, then the record stored), so a
video finished is on the disk at once, and a run stopped anywhere resumes from the stored records like the
local runner's. A Beam retry of a video starts from an empty staging folder and replaces the crops of an
earlier attempt. The process that builds the pipeline chooses the videos (those without a trusted record),
holds the shard's lock, and writes ``manifest.csv`` and ``failures.csv`` once the pipeline is done.

Options are Beam's own, as on a command line (``config.beam_options``): without them Beam's local runner
(the FnApiRunner, which the DirectRunner uses for batch pipelines) runs here, one process per ``--workers``.
The workers of another runner (Dataflow, Flink, Spark) must see the input and output folders at the same
paths (a shared file system mounted on every worker) and have this package and its dependencies installed
(``--requirements_file`` or a container image).
"""

import logging
import os
import shlex

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pel_keras.data import output_folder
from pel_keras.data.faces import make_detector
from pel_keras.files.atomic import DiskFullError, is_disk_full

# What the DirectRunner runs a batch pipeline on, named so that it does not first try to download the Prism
# runner from GitHub (Beam 2.77 does, then falls back to this one).
LOCAL_RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"


def pipeline_options(config):
    """The Beam options of ``config``: Beam's local runner with ``workers`` processes, then ``beam_options``
    (a later option wins)."""
    workers = config.workers or os.cpu_count() or 1
    defaults = [
        f"--runner={LOCAL_RUNNER}",
        "--direct_running_mode=multi_processing",
        f"--direct_num_workers={workers}",
        "--default_sdk_harness_log_level=WARNING",
    ]
    return PipelineOptions(defaults + shlex.split(config.beam_options))


def run(records, out_dir, config, prepare_video):
    """Prepares ``records`` into ``out_dir`` with a Beam pipeline; returns once every video is in place.

    Args:
        records: the videos to prepare (:class:`pel_keras.data.datasets.source_records.Record`).
        out_dir: the preparation's folder, seen at this path by every worker.
        config: the :class:`pel_keras.data.prepare.PrepareConfig`.
        prepare_video: ``(record, out_dir, config, detector) -> (outcome, staged folder)``.

    Raises:
        DiskFullError: a worker found the output's disk full (the videos put in place before are kept).
    """
    if not records:
        return
    # The local runner relays every worker's start-up chatter at INFO and WARNING; their errors still show.
    logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)
    try:
        with beam.Pipeline(options=pipeline_options(config)) as pipeline:
            (
                pipeline
                | "Videos" >> beam.Create(records, reshuffle=False)
                | "Spread" >> beam.Reshuffle()
                | "Prepare" >> beam.ParDo(PrepareVideo(out_dir, config, prepare_video))
            )
    except Exception as error:
        # Beam hands a worker's exception on as text: a full disk is told as the local runner tells it.
        if is_disk_full(error) or DiskFullError.__name__ in str(error):
            raise DiskFullError(out_dir) from error
        raise


class PrepareVideo(beam.DoFn):
    """Prepares one video and puts it in place (crops, then record), on whichever worker Beam chooses."""

    def __init__(self, out_dir, config, prepare_video):
        super().__init__()
        self.out_dir, self.config, self.prepare_video = out_dir, config, prepare_video

    def setup(self):
        # One thread per worker for YuNet's OpenMP, as in the local runner (parallelism is the workers').
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        self.detector = make_detector(self.config.detector)

    def process(self, record):
        outcome, staged = self.prepare_video(record, self.out_dir, self.config, self.detector)
        output_folder.put_in_place(self.out_dir, record.video, outcome, staged)
        yield record.video
