"""A SCPI bench power supply through pyvisa: ``OUTP ON`` / ``OUTP OFF``, each read back with ``OUTP?``.

Inventory::

    [targets.nucleo.power]
    driver = "scpi"
    resource = "TCPIP0::192.168.1.50::5025::SOCKET"   # or ASRL/dev/ttyUSB0::INSTR, USB0::...::INSTR
    channel = 1          # optional: INST:NSEL 1 first (multi-channel supplies)
    voltage = 3.3        # optional: VOLT 3.3 before switching on
    current = 0.5        # optional: CURR 0.5 (the current limit) before switching on
    visa_backend = ""    # optional: pyvisa's backend ("@py" for pyvisa-py, "file.yaml@sim" for pyvisa-sim)
    settle_s = 0.2       # optional: wait after switching, for the output to settle
    timeout_s = 5

The session is opened on first use and closed with the test. ``pip install
pyvisa`` (and ``pyvisa-py`` without a vendor VISA library).
"""

from __future__ import annotations

import time

from ..errors import TargetError
from ..protocols.power import PowerSwitch
from .spec import Spec

ON_WORDS = {"1", "ON"}
OFF_WORDS = {"0", "OFF"}


class ScpiPower(PowerSwitch):
    def __init__(self, resource: str, *, channel: int | None = None, voltage: float | None = None,
                 current: float | None = None, visa_backend: str = "", settle_s: float = 0.0,
                 timeout_s: float = 5.0, source: str = "") -> None:
        self.resource = resource
        self.channel = channel
        self.voltage = voltage
        self.current = current
        self.visa_backend = visa_backend
        self.settle_s = settle_s
        self.timeout_s = timeout_s
        self.source = source
        self.idn = ""
        self._rm = None
        self._inst = None

    @classmethod
    def from_spec(cls, spec: dict, where: str) -> "ScpiPower":
        s = Spec(spec, where, "scpi")
        power = cls(
            s.text("resource"), channel=s.integer("channel", None, low=1, high=64),
            voltage=s.number("voltage", None, high=1000.0), current=s.number("current", None, high=100.0),
            visa_backend=s.text("visa_backend", None) or "",
            settle_s=s.number("settle_s", 0.0), timeout_s=s.number("timeout_s", 5.0, low=0.1), source=where,
        )
        s.done()
        return power

    # -- the session ---------------------------------------------------------------
    def _session(self):
        if self._inst is not None:
            return self._inst
        try:
            import pyvisa
        except ImportError:
            raise TargetError("the scpi power driver needs pyvisa: pip install pyvisa pyvisa-py") from None
        try:
            self._rm = pyvisa.ResourceManager(self.visa_backend) if self.visa_backend else pyvisa.ResourceManager()
        except (OSError, ValueError) as exc:
            raise TargetError(f"SCPI supply {self.resource}: no VISA library ({exc}); install pyvisa-py and set "
                              "visa_backend = \"@py\"") from None
        try:
            inst = self._rm.open_resource(self.resource, timeout=int(self.timeout_s * 1000))
        except Exception as exc:  # pyvisa raises VisaIOError, ValueError or its own errors for a bad resource
            found = self._found()
            self.close()
            raise TargetError(f"SCPI supply {self.resource} cannot be opened ({_one_line(exc)}); resources found: "
                              f"{found}: check the cable and the inventory's `resource`") from None
        inst.read_termination = "\n"
        inst.write_termination = "\n"
        self._inst = inst
        try:
            self.idn = self._query("*IDN?")
        except TargetError:
            self.idn = ""   # not every supply answers *IDN?; switching is what matters
        return inst

    def _found(self) -> str:
        try:
            return ", ".join(self._rm.list_resources()) or "none"
        except Exception:
            return "unknown"

    def _write(self, command: str) -> None:
        try:
            self._session().write(command)
        except Exception as exc:
            raise TargetError(f"SCPI supply {self.resource}: {command!r} failed: {_one_line(exc)}") from None

    def _query(self, command: str) -> str:
        import warnings

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # pyvisa warns about a missing terminator on an empty read
                answer = str(self._session().query(command)).strip()
        except Exception as exc:
            raise TargetError(f"SCPI supply {self.resource}: {command!r} got no answer: {_one_line(exc)}") from None
        if not answer:
            raise TargetError(f"SCPI supply {self.resource}: {command!r} got an empty answer: is the supply at "
                              "that address, and in remote mode?")
        return answer

    def _switch(self, on: bool) -> None:
        if self.channel is not None:
            self._write(f"INST:NSEL {self.channel}")
        if on:
            if self.voltage is not None:
                self._write(f"VOLT {self.voltage:g}")
            if self.current is not None:
                self._write(f"CURR {self.current:g}")
        self._write("OUTP ON" if on else "OUTP OFF")
        state = self._query("OUTP?").upper()
        if state not in (ON_WORDS if on else OFF_WORDS):
            raise TargetError(f"SCPI supply {self.resource}: switched {'on' if on else 'off'} but OUTP? says "
                              f"{state!r}: check the channel and the supply's remote mode")
        if self.settle_s > 0:
            time.sleep(self.settle_s)

    # -- PowerSwitch ----------------------------------------------------------------
    def on(self) -> None:
        self._switch(True)

    def off(self) -> None:
        self._switch(False)

    def properties(self) -> dict[str, str]:
        props = {"power_driver": "scpi", "power_resource": self.resource}
        if self.idn:
            props["power_idn"] = self.idn
        return props

    def close(self) -> None:
        for thing in (self._inst, self._rm):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass
        self._inst = self._rm = None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
