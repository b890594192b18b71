"""smgov: social-media governance checker (the ``engine`` package).

Data flows one way, and the folders follow it (``tests/test_layering.py`` holds every import to
this order: a module imports only from its own layer or the layers before it)::

    vocabulary -> inputs -> policy -> evaluate -> assess -> report -> pipeline -> authoring -> cli

``vocabulary`` holds the ordered words every step shares (severities, levers, stages, subject
kinds); ``pipeline`` is the one place that sequences the steps for a check; ``cli`` the one
place that prints.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: Where the project's documentation is published (the tree's ``docs/`` and ``README.md``):
#: SARIF's ``informationUri`` and each built-in rule's ``helpUri`` point here. ``.invalid``, as
#: the schemas' ``$id``s, until the project has a public home: change it in this one place.
DOCS_URL = "https://smgov.invalid/"
