"""A relay on a GPIO line of the test host (a Raspberry Pi next to the board), through libgpiod 2.x.

Inventory::

    [targets.nucleo.power]
    driver = "gpio"
    chip = "/dev/gpiochip0"
    line = 17             # the line's offset, or its name ("GPIO17")
    active_low = true     # optional: the relay closes when the line is low
    settle_s = 0.1        # optional

The line is requested on first use (as an output, consumer
``pytest-iot-hil``) and released with the test. ``pip install gpiod``.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from ..errors import TargetError
from ..protocols.power import PowerSwitch
from .spec import Spec


class GpioLine(ABC):
    """The one thing the driver needs of a GPIO line: drive it active or inactive, then let it go."""

    @abstractmethod
    def set(self, active: bool) -> None: ...

    @abstractmethod
    def release(self) -> None: ...


class GpiodLine(GpioLine):
    """A line requested through the ``gpiod`` 2.x bindings."""

    def __init__(self, chip: str, line: int | str, *, active_low: bool, initial: bool) -> None:
        try:
            import gpiod
            from gpiod.line import Direction, Value
        except ImportError:
            raise TargetError("the gpio power driver needs the gpiod bindings: pip install gpiod") from None
        self._value = Value
        try:
            if not gpiod.is_gpiochip_device(chip):
                raise TargetError(f"{chip} is not a GPIO chip: check `chip` (ls /dev/gpiochip*)")
            offset = line
            if isinstance(line, str):
                with gpiod.Chip(chip) as c:
                    offset = c.line_offset_from_id(line)
            settings = gpiod.LineSettings(direction=Direction.OUTPUT, active_low=active_low,
                                          output_value=Value.ACTIVE if initial else Value.INACTIVE)
            self._request = gpiod.request_lines(chip, consumer="pytest-iot-hil", config={offset: settings})
        except TargetError:
            raise
        except (OSError, ValueError) as exc:
            raise TargetError(f"GPIO {chip} line {line!r} cannot be requested ({exc}): is it free, and do you "
                              "have access to the chip?") from None
        self._offset = offset

    def set(self, active: bool) -> None:
        self._request.set_value(self._offset, self._value.ACTIVE if active else self._value.INACTIVE)

    def release(self) -> None:
        self._request.release()


class GpioPower(PowerSwitch):
    def __init__(self, chip: str, line: int | str, *, active_low: bool = False, settle_s: float = 0.0,
                 line_factory=None, source: str = "") -> None:
        self.chip = chip
        self.line = line
        self.active_low = active_low
        self.settle_s = settle_s
        self._factory = line_factory or GpiodLine
        self._line: GpioLine | None = None

    @classmethod
    def from_spec(cls, spec: dict, where: str) -> "GpioPower":
        s = Spec(spec, where, "gpio")
        line = spec.get("line")
        if isinstance(line, str):
            line = s.text("line")
        else:
            line = s.integer("line", low=0, high=1023)
        power = cls(s.text("chip"), line, active_low=s.flag("active_low"), settle_s=s.number("settle_s", 0.0),
                    source=where)
        s.done()
        return power

    def _set(self, active: bool) -> None:
        if self._line is None:
            self._line = self._factory(self.chip, self.line, active_low=self.active_low, initial=active)
        else:
            try:
                self._line.set(active)
            except OSError as exc:
                raise TargetError(f"GPIO {self.chip} line {self.line!r}: cannot drive it ({exc})") from None
        if self.settle_s > 0:
            time.sleep(self.settle_s)

    def on(self) -> None:
        self._set(True)

    def off(self) -> None:
        self._set(False)

    def properties(self) -> dict[str, str]:
        return {"power_driver": "gpio", "power_line": f"{self.chip}:{self.line}"}

    def close(self) -> None:
        if self._line is not None:
            try:
                self._line.release()
            finally:
                self._line = None
