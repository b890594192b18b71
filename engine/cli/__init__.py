"""The command line: the only place that prints and maps outcomes to exit codes.

Owns: the ``smgov`` group and the check commands (``app``), shared options, error handling
and exit codes (``common``), the ``policy`` commands (``policy``) and the commands over
reports already written (``reports``), ``smgov import`` (``importing``) and ``smgov init``
(``starter``).

May import: anything in ``engine``.
"""
