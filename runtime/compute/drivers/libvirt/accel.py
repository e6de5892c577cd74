"""Whether guests run under KVM or QEMU's TCG, decided from the host, never by hand.

KVM needs hardware virtualisation: the CPU must offer VMX (Intel) or SVM (AMD) and
``/dev/kvm`` must open. A ``/dev/kvm`` without them (a software hypervisor such as PVM
inside a VM) starts domains that never boot, so it counts as no KVM.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

KVM_FLAGS = frozenset({"vmx", "svm"})


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def kvm_usable(cpuinfo: str, dev_kvm_opens: bool) -> bool:
    return dev_kvm_opens and bool(cpu_flags(cpuinfo) & KVM_FLAGS)


def _dev_kvm_opens(path: str = "/dev/kvm") -> bool:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


@functools.cache
def detect() -> str:
    """'kvm' or 'qemu' for this host (computed once per process)."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "qemu"
    return "kvm" if kvm_usable(cpuinfo, _dev_kvm_opens()) else "qemu"


def domain_type(setting: str) -> str:
    """The domain type for the ``virt_type`` setting: auto, kvm or qemu."""
    return detect() if setting == "auto" else setting
