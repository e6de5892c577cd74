"""The libvirt driver (:mod:`.driver`, which needs libvirt-python: the "compute" extra),
its pure domain XML renderer (:mod:`.xml`), KVM detection and the image cache."""
