"""``async-rosetta tour``: every concept's scenarios in every column.

:mod:`rosetta.tour.runner` runs and renders them; :mod:`rosetta.tour.scenarios` is the
framework; the other modules hold one concept's scenarios each, named like the concept.
"""
