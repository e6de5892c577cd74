"""Compute domain operations, one module per area; :class:`Compute` holds shared state."""

from runtime.compute.service.core import Compute

__all__ = ["Compute"]
