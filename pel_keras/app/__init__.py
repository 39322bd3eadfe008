"""The local web app (``app.py``): upload videos or photos, see verdicts, scores per frame and heatmaps.

``service`` scores uploads with ``predict.py``'s core (:mod:`pel_keras.prediction`) and draws their frames,
``limits`` says what is accepted before decoding, ``drawing`` makes the pictures and the plot, ``views``
the verdict card and batch table, ``downloads`` the JSON and CSV, ``model_card`` the model panel, and
``page`` lays out the Gradio page and wires its events and the ``score`` API endpoint.
"""
