"""Step 5, report: the report model and everything written from it.

Owns: the report (``model``), the renderers in one registry (``render/``), outputs written
atomically and the JSON text of every JSON file (``output``), evidence bundles
(``evidence``), baselines (``baseline``), and comparisons of reports: ``diff`` and ``trend``.

May import: every step below it (``vocabulary``, ``inputs``, ``policy``, ``evaluate``,
``assess``); never ``pipeline``, ``authoring`` or ``cli``.
"""
