"""Hypervisor drivers: the interface (base), libvirt (real) and fake (tests)."""
