"""A relay board on a serial port: fixed bytes for on and for off (the common LCUS/CH340 boards and the like).

Inventory::

    [targets.nucleo.power]
    driver = "serial_relay"
    port = "/dev/ttyUSB1"         # any pyserial URL (rfc2217://host:port, socket://host:port)
    baudrate = 9600
    on = "A0 01 01 A2"            # bytes in hex
    off = "A0 01 00 A1"
    settle_s = 0.1                # optional

The port is opened on first use and closed with the test.
"""

from __future__ import annotations

import time

from ..errors import TargetError
from ..protocols.power import PowerSwitch
from .spec import Spec


class SerialRelayPower(PowerSwitch):
    def __init__(self, port: str, on: bytes, off: bytes, *, baudrate: int = 9600, settle_s: float = 0.0,
                 source: str = "") -> None:
        self.port = port
        self.on_bytes = on
        self.off_bytes = off
        self.baudrate = baudrate
        self.settle_s = settle_s
        self._serial = None

    @classmethod
    def from_spec(cls, spec: dict, where: str) -> "SerialRelayPower":
        s = Spec(spec, where, "serial_relay")
        power = cls(s.text("port"), s.hex_bytes("on"), s.hex_bytes("off"),
                    baudrate=s.integer("baudrate", 9600, low=50, high=4_000_000),
                    settle_s=s.number("settle_s", 0.0), source=where)
        s.done()
        return power

    def _port(self):
        if self._serial is None:
            import serial

            try:
                self._serial = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=1, write_timeout=2)
            except (serial.SerialException, ValueError) as exc:
                raise TargetError(f"relay port {self.port} cannot be opened ({exc}): is the relay board plugged "
                                  "in, and the port right?") from None
        return self._serial

    def _send(self, data: bytes, what: str) -> None:
        import serial

        try:
            port = self._port()
            port.write(data)
            port.flush()
        except serial.SerialException as exc:
            self.close()
            raise TargetError(f"relay port {self.port}: sending {what} failed ({exc})") from None
        if self.settle_s > 0:
            time.sleep(self.settle_s)

    def on(self) -> None:
        self._send(self.on_bytes, "on")

    def off(self) -> None:
        self._send(self.off_bytes, "off")

    def properties(self) -> dict[str, str]:
        return {"power_driver": "serial_relay", "power_port": self.port}

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            finally:
                self._serial = None
