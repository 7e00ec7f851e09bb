"""The ``async-rosetta`` command line: tour, show, bench."""
