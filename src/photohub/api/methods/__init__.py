"""Every API method, one module per Flickr namespace; importing this registers them all."""

from photohub.api.methods import (
    auth,
    commons,
    contacts,
    favorites,
    geo,
    groups,
    groups_pools,
    people,
    photos,
    photos_edit,
    photos_people,
    photosets,
    places,
    push,
    reflection,
    test,
    upload,
)
from photohub.api.registry import registry

__all__ = [
    "auth",
    "commons",
    "contacts",
    "favorites",
    "geo",
    "groups",
    "groups_pools",
    "people",
    "photos",
    "photos_edit",
    "photos_people",
    "photosets",
    "places",
    "push",
    "reflection",
    "registry",
    "test",
    "upload",
]
