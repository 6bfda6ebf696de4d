"""Pure building blocks shared by every definition: the expression language and problems.

Nothing here imports Flask or SQLAlchemy.
"""
