"""Authentication: passwords, MFA, tokens, sessions, throttling and partner clients."""
