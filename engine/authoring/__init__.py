"""Tools for policy authors, built on the whole pipeline.

Owns: a pack's test cases (``policytest``), its generated documentation (``policydocs``) and
the impact of a policy change on an inventory (``impact``), and the files a new organisation
starts from (``starter``, ``smgov init``).

May import: every step and ``engine.pipeline``; never ``engine.cli``.
"""
