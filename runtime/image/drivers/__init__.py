"""Image stores: where image data lives. ``base`` is the contract, ``filesystem`` the
default, ``fake`` an in-memory store for unit tests."""
