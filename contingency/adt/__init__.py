"""ADT files: Anomaly Detection Thresholds (MP134B business requirement 4; docs/adt-format.md).

``parse`` reads a file into rows (plain Python, no Django models), ``services`` checks the rows against the
registry and runs the upload → approve / reject workflow, ``thresholds`` answers the DUIS pipeline's lookup.
"""
