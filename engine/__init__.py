"""smgov: social-media governance checker (the ``engine`` package)."""

from __future__ import annotations

__version__ = "0.1.0"
