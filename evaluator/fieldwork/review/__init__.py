"""Review (审核): records and their review states, quality flags, call-back checks (回访复核),
the audit trail and photo evidence."""
