"""Reading a ``[targets.NAME.power]`` table: the checks every driver needs, one line per mistake."""

from __future__ import annotations

from typing import Any

from ..errors import HilConfigError

_MISSING = object()


class Spec:
    """The table of one driver, read key by key; ``done()`` refuses keys nobody read."""

    def __init__(self, spec: dict, where: str, driver: str) -> None:
        self.spec = spec
        self.where = where
        self.driver = driver
        self._read = {"driver"}

    def _get(self, key: str, default: Any) -> Any:
        self._read.add(key)
        value = self.spec.get(key, default)
        if value is _MISSING:
            raise HilConfigError(f"{self.where}: the {self.driver} power driver needs `{key}`")
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise HilConfigError(f"{self.where}: `{key}` must be a non-empty string, not {value!r}")
        return value

    def number(self, key: str, default: Any = _MISSING, *, low: float = 0.0, high: float = 600.0) -> float | None:
        value = self._get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise HilConfigError(f"{self.where}: `{key}` must be a number from {low:g} to {high:g}, not {value!r}")
        return float(value)

    def integer(self, key: str, default: Any = _MISSING, *, low: int = 0, high: int = 2**31) -> int | None:
        value = self._get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise HilConfigError(f"{self.where}: `{key}` must be a whole number from {low} to {high}, not {value!r}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise HilConfigError(f"{self.where}: `{key}` must be true or false, not {value!r}")
        return value

    def hex_bytes(self, key: str, default: Any = _MISSING) -> bytes:
        value = self.text(key, default)
        try:
            data = bytes.fromhex(value.replace(":", " "))
        except ValueError:
            raise HilConfigError(f"{self.where}: `{key}` must be bytes in hex (e.g. \"A0 01 01 A2\"), not {value!r}") from None
        if not data:
            raise HilConfigError(f"{self.where}: `{key}` is empty: give the bytes to send in hex")
        return data

    def done(self) -> None:
        unknown = sorted(set(self.spec) - self._read)
        if unknown:
            known = ", ".join(sorted(self._read - {"driver"}))
            raise HilConfigError(f"{self.where}: unknown key(s) {', '.join(unknown)} for the {self.driver} power "
                                 f"driver (known: {known})")
