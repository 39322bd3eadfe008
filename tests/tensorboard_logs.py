"""Reading back the TensorBoard scalars a run wrote (``RUN/logs/train``, ``RUN/logs/val``)."""

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util.tensor_util import make_ndarray


def scalars(folder, tag):
    """``{step: value}`` of one scalar in the event files of ``folder`` (all of them: a resumed run adds one)."""
    events = EventAccumulator(str(folder))
    events.Reload()
    return {event.step: float(make_ndarray(event.tensor_proto)) for event in events.Tensors(tag)}
