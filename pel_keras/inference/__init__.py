"""Scoring with a trained or exported PEL model, without TensorFlow where the format allows it.

``predictors`` loads every format (``.keras``, SavedModel, ``.tflite``, ``.onnx``) behind one callable,
``tflite_ops`` says which operators of a ``.tflite`` run code of their own, and ``contract`` is the input and
output contract every exported file keeps, and ``presets`` finds a preset (folder, ``hf://``, ``kaggle://``)
and checks its files. Training, evaluation, export, prediction, the app and the edge
predictor all load models through here. Nothing is imported here: import the submodule you need.
"""
