"""The training loop: epochs of distributed steps, validation, model selection, checkpoints, NaN guard."""

import datetime
import math
import os
import time

import numpy as np
from tqdm import tqdm

from pel_keras.run_folder import LAST, LOGS
from pel_keras.training import workdir as files
from pel_keras.training.backend_parts import steps
from pel_keras.training.summaries import Summaries
from pel_keras.training.validation import validate


class Trainer:
    """Runs (or resumes) the epochs of one run; every process of a cluster runs one.

    Args:
        config: the :class:`~pel_keras.training.train_config.TrainConfig`.
        strategy: the ``tf.distribute`` strategy (on JAX a
            :class:`~pel_keras.training.jax_strategy.JaxDevices`, on PyTorch a
            :class:`~pel_keras.training.one_device.OneDevice`) under whose scope ``model`` and ``optimizer``
            were built.
        model, optimizer: built; their state restored by ``checkpointer`` when resuming.
        checkpointer: the backend's checkpointer (see :func:`~pel_keras.training.backend_parts.checkpointer_class`),
            whose ``position()`` says where to start.
        steps_per_epoch: optimizer steps per epoch.
        chief: whether this process writes models, metrics and TensorBoard logs.
    """

    def __init__(self, config, strategy, model, optimizer, checkpointer, steps_per_epoch, chief):
        self.config, self.strategy, self.model, self.chief = config, strategy, model, chief
        self.checkpointer, self.steps_per_epoch = checkpointer, steps_per_epoch
        make_train_step, make_predict_step = steps()
        self.train_step = make_train_step(model, optimizer, strategy, config.batch_size, config.weight_decay)
        self.predict_step = make_predict_step(model, strategy)
        self.summaries = Summaries(os.path.join(config.workdir, LOGS), chief)
        self.step, self.epoch = checkpointer.position()
        self.last_checkpoint = None

    def run(self, train_data, val_dataset, val_videos):
        """Trains until ``config.epochs``; returns the run's per-epoch records.

        Args:
            train_data: ``seed -> dataset_fn`` of endless training batches; seeded with ``seed + step`` so
                that a resumed run draws new data rather than replaying the first steps.
            val_dataset: a distributed dataset of ``(images, labels, index)``.
            val_videos: the video of each validation index.
        """
        if self.chief:
            kept = [r for r in files.read_metrics(self.config.workdir) if r["epoch"] <= self.epoch]
            files.write_metrics(self.config.workdir, kept)
        dataset_fn = train_data(self.config.seed + self.step)
        iterator = iter(self.strategy.distribute_datasets_from_function(dataset_fn))
        try:
            while self.epoch < self.config.epochs:
                train_loss, speed = self.train_epoch(iterator)
                self.end_epoch(train_loss, speed, validate(self.predict_step, val_dataset, val_videos))
        finally:
            self.summaries.close()
        return files.read_metrics(self.config.workdir)

    def train_epoch(self, iterator):
        """Steps to the end of the current epoch; returns its mean loss and images per second."""
        config, first = self.config, self.epoch * self.steps_per_epoch
        losses, total, speed, started = [], 0.0, float("nan"), None
        with tqdm(
            total=self.steps_per_epoch,
            initial=self.step - first,
            unit="step",
            disable=not self.chief,
            desc=f"epoch {self.epoch + 1}/{config.epochs}",
            dynamic_ncols=True,
        ) as bar:  # closed on errors too
            while self.step < first + self.steps_per_epoch:
                losses.append(float(self.train_step(iterator)))
                total += losses[-1]
                self.step += 1
                self.check_finite(losses[-1])
                if started is None:  # the first step may include tracing: time the ones after it
                    started = time.perf_counter()
                else:
                    speed = (len(losses) - 1) * config.batch_size / (time.perf_counter() - started)
                bar.update()
                bar.set_postfix(loss=f"{total / len(losses):.4f}", images_per_s=f"{speed:.1f}")
                if self.step % config.log_every == 0:
                    self.summaries.scalars(
                        "train", self.step, {"loss": np.mean(losses[-config.log_every :]), "images_per_second": speed}
                    )
                if self.step % config.checkpoint_every == 0 and self.step < first + self.steps_per_epoch:
                    self.save_checkpoint()
        return total / len(losses) if losses else float("nan"), speed

    def check_finite(self, loss):
        """Stops the run on a NaN or infinite loss, before anything is written from the broken weights."""
        if math.isfinite(loss):
            return
        kept = self.last_checkpoint or self.checkpointer.latest() or "none yet"
        raise FloatingPointError(
            f"Training loss is {loss} at step {self.step} (epoch {self.epoch + 1}); stopping. Nothing was "
            f"saved after the failure: the last good checkpoint is {kept}. Running the same command again "
            f"resumes from it with a new data order; otherwise lower --learning_rate in a new --workdir"
            f"{' or train without --mixed_precision' if self.config.mixed_precision else ''}."
        )

    def end_epoch(self, train_loss, speed, val):
        """Records the epoch: best.keras if it is the best on val, last.keras, metrics, a checkpoint."""
        self.epoch += 1
        record = {
            "epoch": self.epoch,
            "step": self.step,
            "train_loss": train_loss,
            "images_per_second": speed,
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            **{f"val_{name}": value for name, value in val.items()},
        }
        if self.chief:
            self.write_epoch(record)
        self.save_checkpoint()

    def write_epoch(self, record):
        """The chief's files at an epoch's end; ``best.keras`` by ``--selection_metric`` on val."""
        workdir, key = self.config.workdir, f"val_{self.config.selection_metric}"
        best = files.read_best(workdir)
        record["best"] = best is None or record[key] > best[key]
        if record["best"]:
            files.write_best(workdir, self.model, record)
        files.save_model(self.model, os.path.join(workdir, LAST))
        files.write_metrics(workdir, files.read_metrics(workdir) + [record])
        self.summaries.scalars("val", self.step, {k[4:]: v for k, v in record.items() if k.startswith("val_")})
        tqdm.write(
            f"epoch {self.epoch}: train loss {record['train_loss']:.4f}, val {key[4:]} {record[key]:.4f}"
            f"{' (best)' if record['best'] else ''}"
        )

    def save_checkpoint(self):
        self.last_checkpoint = self.checkpointer.save_at(self.step, self.epoch)
