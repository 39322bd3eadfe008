"""Data: dataset readers, frame sampling, face crops, preparation and the input pipelines (``tf.data`` in
``pipeline``, numpy batches without TensorFlow in ``array_pipeline``).

Nothing is imported here, so that ``pel_keras.data.video``, ``pel_keras.data.faces`` and the array pipeline
(numpy and OpenCV only) load without TensorFlow; import the submodule you need.
"""
