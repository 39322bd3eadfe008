"""Scoring videos and images with a trained detector (``predict.py``): inputs, scores, results, heatmaps.

``inputs`` expands what the user names into media, ``scorer`` wraps the model, ``predict`` finds, crops
and scores the faces of each input, ``results`` reports them and ``heatmaps`` draws the class activation
maps over the frames. ``detector`` is the same scoring for outside code (``pel_keras.from_preset``).
"""
