"""Step 3, evaluate: rules against one inventory, and the findings that result.

Owns: what an evaluator returns (``evaluation``), the reference semantics and shared derived
values (``derive``), the generated native evaluator (``native``, with the answers it finds
for all subjects before a pass in ``columns``), the durable-rules
cross-check (``durable/``, an optional extra) and the findings built from results
(``findings``, with their messages in ``messages``).

May import: ``engine.vocabulary``, ``engine.inputs`` and ``engine.policy``.
"""
