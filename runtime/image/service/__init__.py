"""Image domain operations, one module per area; :class:`Images` holds shared state."""

from runtime.image.service.core import Images

__all__ = ["Images"]
