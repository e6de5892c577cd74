"""Machinery shared by every service: app factory, auth, policy, errors, database."""
