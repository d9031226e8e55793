"""Lazy re-exports for a package's ``__init__`` (PEP 562): a name is imported from its submodule the
first time it is used, so importing the package does not load every submodule (an agent's start-up
then pays only for what it uses)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping


def lazy_exports(
    package: str, submodule_of: Mapping[str, str], namespace: MutableMapping[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``, whose names live in the
    submodules ``submodule_of`` names; a loaded name is kept in ``namespace`` (the package's globals)."""

    def load(name: str) -> object:
        submodule = submodule_of.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted([*namespace, *submodule_of])

    return load, names
