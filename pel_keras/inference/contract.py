"""The input and output contract every exported file keeps, as the app developer reads it.

Plain Python (no TensorFlow), shared by the exporters, the report and the edge predictor.
"""

INPUT_NAME = "images"
OUTPUT_NAME = "fake_probability"
SIGNATURE_KEY = "serving_default"  # the TFLite and SavedModel signature holding the contract
SAVED_MODEL_ENDPOINT = "serve"  # the SavedModel's callable endpoint (what keras.layers.TFSMLayer calls)
REPORT_NAME = "export_report.json"


def app_contract(image_size, margin, detector):
    """What goes into and comes out of every exported model, for ``export_report.json``.

    Args:
        image_size: ``(height, width)`` of the model input.
        margin: the face-crop margin the training crops were made with.
        detector: the face detector that found them (``pel_keras.data.faces.DETECTORS``).
    """
    height, width = image_size
    return {
        "signature": SIGNATURE_KEY,
        "input": {
            "name": INPUT_NAME,
            "shape": ["batch", height, width, 3],
            "layout": "NHWC (batch, height, width, channels)",
            "dtype": "float32",
            "value_range": [0.0, 255.0],
            "colour_order": "RGB",
            "normalization": "none: pass raw 0..255 pixel values; the model rescales them itself",
            "face_crop": (
                f"the largest face {detector} detects; a square of {margin} x the detection box's longer side "
                f"centred on the box, black where it leaves the frame (never stretched), resized to {width}x{height} "
                "(area interpolation down, bicubic up): pel_keras.data.faces.crop_face"
            ),
            "crop_margin": margin,
            "face_detector": detector,
        },
        "output": {
            "name": OUTPUT_NAME,
            "shape": ["batch", 1],
            "dtype": "float32",
            "value_range": [0.0, 1.0],
            "meaning": "probability that the face is fake (label 1 = fake, 0 = real); fake when > 0.5",
            "video": "a video's score is the mean of its frames' probabilities",
        },
    }
