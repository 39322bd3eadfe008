"""Support for the tests and the benchmarks (needs the ``dev`` extra): real media made from the public-domain
portraits that ship in packages (``data_media``), small exported PEL runs (``export_helpers``), a free port
(``ports``) and the headless Chromium the browser test drives (``browser``). Not used by the library itself.
"""
