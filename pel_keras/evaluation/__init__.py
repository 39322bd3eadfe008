"""Evaluation of PEL detectors: metrics, predictors for every export format, scoring and reports (paper Sec. 4)."""
