"""Every API method, one module per Flickr namespace; importing this registers them all."""

from photohub.api.methods import reflection, test
from photohub.api.registry import registry

__all__ = ["reflection", "registry", "test"]
