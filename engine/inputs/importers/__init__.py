"""``smgov import``: account lists (CSV, spreadsheets, JSON) turned into an inventory.

Owns: reading the sources into tables of cells (``readers``), the mapping file that says
which column feeds which field (``mapping``), the normalisation of each value with the
platform catalogue (``normalise``), the accounts, departments, ids and duplicates made from
the rows (``accounts``) and the import report (``report``). Every row that is dropped,
changed or doubtful becomes an :class:`~engine.inputs.importers.report.Issue`; nothing is
guessed silently.

May import: ``engine.vocabulary`` and ``engine.inputs`` (this is part of the inputs step).
"""
