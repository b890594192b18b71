"""Step 1, inputs: finding, reading and validating what the user gives us.

Owns: files and their discovery (``sources``), the YAML and JSON readers that keep every
node's position (``yaml_source``, ``json_source``, ``positions``), problems as data
(``diagnostics``), the bundled JSON Schemas and their fast typed check (``schemas``,
``typedcheck``), the fields each kind of subject has (``catalogue``), the platforms smgov
knows (``platforms``, data in ``platforms.yaml``), the inventory: checked, merged and indexed
(``inventory``), and account lists turned into inventories (``importers``, ``smgov import``).

May import: ``engine.vocabulary`` only. Nothing here knows of policies, evaluators or reports.
"""
