"""Support for the tests and the benchmarks (needs the ``dev`` extra): the layer, model saving and LiteRT export
checks (``test_case``), the writers of prepared datasets and run folders (``fixtures``), real media made from
the public-domain portraits that ship in packages (``data_media``), small exported PEL runs
(``export_helpers``), an entry script run in the test's process (``scripts``), a free port (``ports``) and the
headless Chromium the browser test drives (``browser``). Not used by the library itself.
"""
