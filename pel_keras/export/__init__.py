"""Export of a trained PEL model: SavedModel, TFLite (fp32, fp16, int8; builtin ops only), ONNX, parity.

Nothing is imported here: ``pel_keras.export.edge`` (the TensorFlow-free edge predictor's library) must load
without TensorFlow; import the submodule you need.
"""
