"""Step 2, policy: the policy language and its compiler.

Owns: the intermediate representation of a rule (``ir``), the conditions and their operators
(``conditions``), rule files compiled into a ``PolicySet`` (``policies``), packs and their
``extends``/overrides (``packs``), the stage ladder (``stages``) and the semantic lint of a
policy set (``policylint``).

May import: ``engine.vocabulary`` and ``engine.inputs``.
"""
