"""Data: dataset readers, frame sampling, face crops, preparation and the tf.data input pipeline.

Nothing is imported here, so that ``pel_keras.data.video`` and ``pel_keras.data.faces`` (numpy and
OpenCV only) load without TensorFlow; import the submodule you need.
"""
