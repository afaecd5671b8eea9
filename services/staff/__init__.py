"""Staff and account lifecycle: roles, deactivation, invitations, resets, email changes."""
