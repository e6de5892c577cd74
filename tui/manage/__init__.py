"""Manage mode: the cloud's resources in tables, through openstacksdk (never runtime/)."""
