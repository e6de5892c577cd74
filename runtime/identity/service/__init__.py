"""Identity domain operations, one module per area; :class:`Identity` holds shared state."""

from runtime.identity.service.core import Identity

__all__ = ["Identity"]
