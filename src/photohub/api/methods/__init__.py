"""Every API method, one module per Flickr namespace; importing this registers them all."""

from photohub.api.methods import photos, photos_edit, reflection, test
from photohub.api.registry import registry

__all__ = ["photos", "photos_edit", "reflection", "registry", "test"]
