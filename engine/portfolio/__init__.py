"""Many organisations at once: ``smgov portfolio``, a layer above the pipeline.

Owns: the organisations of a portfolio, from directories or a ``portfolio.yaml`` manifest
(``units``), one organisation's check as a worker runs it, with the policies compiled once
per worker (``organisation``), where the work runs: in this process, a local process pool or
a Dask cluster, behind one ``concurrent.futures`` interface (``workers``), and the whole
portfolio check and its evidence bundle (``check``).

May import: every step and ``engine.pipeline``; never ``engine.cli``.
"""
