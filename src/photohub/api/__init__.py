"""The Flickr-compatible REST API: method registry, arguments, formats, auth, methods."""
