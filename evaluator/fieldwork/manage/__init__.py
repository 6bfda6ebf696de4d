"""Manage (管理): the lead's set-up of an evaluation: roster, members, sample, assignments,
system data; and the demo evaluation built through the same operations."""
