"""Accounts, roles and sign-in (账户与角色)."""
