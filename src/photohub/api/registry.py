"""The method registry: one definition per API method drives dispatch, validation,
permissions, reflection (``flickr.reflection.*``), the API Explorer and the OpenAPI
document, so none of them can disagree about a method."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from photohub.api.args import Arg

if TYPE_CHECKING:
    from photohub.api.call import Call

Result = dict[str, Any]
Handler = Callable[["Call"], Awaitable[Result]]

# Flickr's permission levels, weakest first. "none" methods need only an API key.
PERMS = ("none", "read", "write", "delete")


def perm_level(perms: str) -> int:
    return PERMS.index(perms) if perms in PERMS else 0


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    perms: str = "none"
    errors: tuple[tuple[int, str], ...] = ()
    description: str = ""
    # Whether anonymous calls see it: "read" methods may also be called without a token
    # when ``optional_auth`` is set (they then show only what the public may see).
    optional_auth: bool = False
    example: Result = field(default_factory=dict)

    @property
    def needs_login(self) -> bool:
        return perm_level(self.perms) > 0 and not self.optional_auth


class Registry:
    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}

    def method(
        self,
        name: str,
        summary: str,
        *,
        args: Sequence[Arg] = (),
        perms: str = "none",
        errors: Sequence[tuple[int, str]] = (),
        description: str = "",
        optional_auth: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine as API method ``name``."""
        if perms not in PERMS:
            raise ValueError(f"unknown perms {perms!r}")

        def register(handler: Handler) -> Handler:
            if name in self._methods:
                raise ValueError(f"method {name} registered twice")
            names = [arg.name for arg in args]
            if len(names) != len(set(names)):
                raise ValueError(f"method {name} lists an argument twice")
            self._methods[name] = Method(
                name=name,
                summary=summary,
                handler=handler,
                args=tuple(args),
                perms=perms,
                errors=tuple(errors),
                description=description,
                optional_auth=optional_auth,
            )
            return handler

        return register

    def get(self, name: str) -> Method | None:
        return self._methods.get(name)

    def names(self) -> list[str]:
        return sorted(self._methods)

    def __iter__(self) -> Any:
        return iter(self._methods[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._methods)


registry = Registry()
