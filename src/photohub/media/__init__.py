"""Image pipeline: validate uploads by content, read metadata, make WebP renditions."""
