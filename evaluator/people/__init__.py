"""People (人员): administrators create, stop, restart and unlock accounts and set roles; a lead
adds colleagues to a team and invites new evaluators; everyone changes their own password.
Every change is written to the audit trail."""
