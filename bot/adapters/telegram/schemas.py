"""aiogram's types built when first used, not all at import.

`aiogram.types` ends by calling `model_rebuild()` on each of its ~900 types to resolve their forward references, and
each build makes a validator holding the whole tree of the types it reaches: about 95 MB of memory at import, for a
bot that reads a handful of them (Update, Message, CallbackQuery…). Installed before aiogram is imported, this keeps
that call's namespace and lets pydantic build each type (and each method) the first time it is used, with the same
namespace — the types then behave as before, they are only built later.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_NAMESPACE: dict[str, Any] = {}  # aiogram.types' names (what its own rebuild passes), shared by every type and method
_installed = False


def install() -> None:
    """Idempotent; affects only the classes of aiogram's modules."""
    global _installed
    if _installed:
        return
    real = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]

    def model_rebuild(cls, *, force: bool = False, raise_errors: bool = True, _parent_namespace_depth: int = 2,
                      _types_namespace: Any = None):
        if cls.__module__.startswith("aiogram."):
            if _types_namespace is not None and not force and not cls.__pydantic_complete__:
                _NAMESPACE.update(_types_namespace)  # aiogram.types' import-time rebuild: kept for the first use
                return None
            if _types_namespace is None and _NAMESPACE:
                _types_namespace = _NAMESPACE
        elif _parent_namespace_depth > 0:
            _parent_namespace_depth += 1  # this function is one more frame between the caller and pydantic
        return real(cls, force=force, raise_errors=raise_errors, _parent_namespace_depth=_parent_namespace_depth,
                    _types_namespace=_types_namespace)

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[method-assign,assignment]
    _installed = True
