"""Training PEL: a frozen :class:`TrainConfig` (``train.py``'s flags) and :func:`train`, one custom loop for
one device, several local GPUs (``MirroredStrategy``) and several machines (``MultiWorkerMirroredStrategy``)."""

from pel_keras.training.train_config import TrainConfig
from pel_keras.training.trainer import best_summary, fit, train

__all__ = ["TrainConfig", "best_summary", "fit", "train"]
