"""bench/image: image upload and download against the disk's own dd figures."""
