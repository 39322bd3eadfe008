"""The two public-domain portraits that ship inside installed packages, for the demo data, int8 calibration
and the tests: Eileen Collins (scikit-image's ``data.astronaut()``) and Grace Hopper (matplotlib's
``grace_hopper.jpg``). Nothing is downloaded."""

import cv2
import matplotlib.cbook
from skimage import data

from pel_keras.data.decoding import read_image


def package_portraits():
    """``[(name, RGB uint8 image)]``: ``astronaut`` (512 x 512 pixels) and ``grace_hopper`` (600 high, 512
    wide)."""
    hopper = read_image(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return [("astronaut", data.astronaut()), ("grace_hopper", cv2.cvtColor(hopper, cv2.COLOR_BGR2RGB))]
