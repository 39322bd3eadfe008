"""Visualisations of a trained PEL model: class activation maps (Fig. 2) and enhancement residuals (Fig. 3-4).

``taps`` finds the tensors in the PEL graph, ``cam`` and ``maps`` compute the maps, ``overlay`` colours
them, ``figures`` lays out the PNGs and ``paper_figures`` runs it all for ``visualize.py``.

Backends: every map is read from one forward pass (``taps.FeatureModel``, Keras ``predict_on_batch``) and
computed in numpy; nothing takes a gradient. So the figures and ``predict.py``'s heatmaps run on every Keras
backend, TensorFlow, JAX and PyTorch, also where TensorFlow is not installed, and draw the same maps there
(tests/test_scripts_on_backends.py).
"""
