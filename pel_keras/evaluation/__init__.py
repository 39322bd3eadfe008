"""Evaluation of PEL detectors: metrics, scoring and reports (paper Sec. 4).

Models are loaded through :mod:`pel_keras.inference`.
"""
