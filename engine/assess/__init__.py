"""Step 4, assess: what the results mean for the organisation.

Owns: waivers applied to findings (``waivers``), the maturity assessment: stages reached per
organisation, department and lever (``maturity``), and the plan toward the target stage
(``plan``).

May import: ``engine.vocabulary``, ``engine.inputs``, ``engine.policy`` and ``engine.evaluate``.
"""
