"""evaluator: score public aid programmes against a weighted rubric, with honest uncertainty.

This module stays empty on purpose: ``import evaluator.scoring`` (and the other pure
packages) must not pull in Flask or SQLAlchemy, so nothing web- or database-related may be
imported here.
"""

__version__ = "0.1.0"
