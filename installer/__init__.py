"""Turns an inventory into a running cloud through Ansible playbooks."""
