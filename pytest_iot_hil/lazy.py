"""Public names imported on first use (PEP 562 module ``__getattr__``).

pytest loads this package's plugins in every run through their entry
points; a run without ``--hil`` must not pay for pexpect, pyserial, the
campaign or a backend. A package lists its public names and the module of
each, and gets the ``__getattr__``/``__dir__`` pair that imports them lazily.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, exports: dict[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps a name to its module (relative)."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module("." + module.lstrip("."), package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
