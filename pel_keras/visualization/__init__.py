"""Visualisations of a trained PEL model: class activation maps (Fig. 2) and enhancement residuals (Fig. 3-4).

``taps`` finds the tensors in the PEL graph, ``cam`` and ``maps`` compute the maps, ``overlay`` colours
them, ``figures`` lays out the PNGs and ``paper_figures`` runs it all for ``visualize.py``.
"""
