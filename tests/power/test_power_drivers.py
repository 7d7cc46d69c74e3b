"""The bench power drivers, each against a stand-in that speaks its real protocol.

* ``scpi``: a bench supply simulated by pyvisa-sim (``sim/supply.yaml``), through pyvisa's real API;
* ``uhubctl``: a stand-in ``uhubctl`` on PATH printing uhubctl 2.5's real output format;
* ``serial_relay``: the relay board's bytes read back from the other end of a pty;
* ``gpio``: a fake line behind the driver's own small interface, and a real chip when one exists;
* ``manual``: the question asked on a pty, refused under CI.
"""

from __future__ import annotations

import glob
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_iot_hil.errors import HilConfigError, TargetError
from pytest_iot_hil.power.gpio import GpioLine, GpioPower
from pytest_iot_hil.power.manual import ManualPower
from pytest_iot_hil.power.plugin import DRIVERS, driver_class
from pytest_iot_hil.power.scpi import ScpiPower
from pytest_iot_hil.power.serial_relay import SerialRelayPower
from pytest_iot_hil.power.uhubctl import UhubctlPower
from powerbench import write_bench_inventory

SIM = Path(__file__).parent / "sim" / "supply.yaml"
SUPPLY = "TCPIP0::10.0.0.5::5025::SOCKET"


# -- SCPI ---------------------------------------------------------------------------------------

def scpi(resource: str = SUPPLY, **kw) -> ScpiPower:
    pytest.importorskip("pyvisa_sim")
    return ScpiPower(resource, visa_backend=f"{SIM}@sim", **kw)


def test_scpi_switches_and_reads_back_with_limits_set_before_on():
    p = scpi(channel=2, voltage=3.3, current=0.5)
    try:
        p.on()
        assert p._query("OUTP?") == "ON"
        assert (p._query("VOLT?"), p._query("CURR?"), p._query("INST:NSEL?")) == ("3.300", "0.500", "2")
        p.off()
        assert p._query("OUTP?") == "OFF"
        assert p.properties() == {"power_driver": "scpi", "power_resource": SUPPLY,
                                  "power_idn": "HIL,SIMSUPPLY,0001,1.0"}
    finally:
        p.close()
    assert p._inst is None and p._rm is None


def test_scpi_output_that_does_not_follow_is_an_error():
    p = scpi("TCPIP0::10.0.0.6::5025::SOCKET")
    with pytest.raises(TargetError, match=r"switched off but OUTP\? says '1': check the channel"):
        p.off()
    p.close()


def test_scpi_supply_that_does_not_answer_is_one_line():
    p = scpi("TCPIP0::10.0.0.99::5025::SOCKET", timeout_s=0.2)
    with pytest.raises(TargetError) as err:
        p.on()
    assert "10.0.0.99" in str(err.value) and "\n" not in str(err.value)
    p.close()


def test_scpi_without_pyvisa_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyvisa", None)
    with pytest.raises(TargetError, match="needs pyvisa: pip install pyvisa"):
        ScpiPower(SUPPLY).on()


# -- uhubctl ------------------------------------------------------------------------------------

FAKE_UHUBCTL = textwrap.dedent('''\
    #!{python}
    # Stands in for uhubctl 2.5: same arguments, same output format, state in a file.
    import sys, pathlib
    args = sys.argv[1:]
    opt = dict(zip(args[::2], args[1::2]))
    state = pathlib.Path({state!r})
    hub, port, action = opt.get("-l"), opt.get("-p"), opt.get("-a")
    if hub != "1-1.4":
        print("No compatible devices detected at location " + str(hub) + "!")
        sys.exit(1)
    head = "Current status for hub 1-1.4 [2109:2812 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps]"
    def line(p, on):
        if not on:
            return f"  Port {{p}}: 0000 off"
        return f"  Port {{p}}: 0503 power highspeed enable connect [0483:374b STMicroelectronics STLINK-V3]"
    on = state.read_text() == "on" if state.exists() else True
    print(head)
    print(line(port, on))
    if {stuck}:
        action_on = on
    else:
        action_on = action == "on"
    state.write_text("on" if action_on else "off")
    print("Sent power " + action + " request")
    print(head.replace("Current", "New"))
    print(line(port, action_on))
''')


@pytest.fixture
def fake_uhubctl(tmp_path):
    def make(stuck: bool = False) -> Path:
        script = tmp_path / ("uhubctl-stuck" if stuck else "uhubctl")
        script.write_text(FAKE_UHUBCTL.format(python=sys.executable, state=str(tmp_path / "state"), stuck=stuck))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return script
    return make


def test_uhubctl_switches_the_port_and_checks_the_new_status(fake_uhubctl, tmp_path):
    p = UhubctlPower("1-1.4", 2, uhubctl=str(fake_uhubctl()))
    p.off()
    assert (tmp_path / "state").read_text() == "off"
    p.on()
    assert (tmp_path / "state").read_text() == "on"
    assert p.argv("off")[-6:] == ["-l", "1-1.4", "-p", "2", "-a", "off"]
    assert p.properties() == {"power_driver": "uhubctl", "power_port": "1-1.4:2"}


def test_uhubctl_errors_are_one_line(fake_uhubctl):
    with pytest.raises(TargetError, match=r"failed \(exit 1\): No compatible devices detected at location 2-1!"):
        UhubctlPower("2-1", 2, uhubctl=str(fake_uhubctl())).off()
    with pytest.raises(TargetError, match="is now 'on', not off: the hub may not switch port power"):
        UhubctlPower("1-1.4", 3, uhubctl=str(fake_uhubctl(stuck=True))).off()
    with pytest.raises(TargetError, match="uhubctl not found .*apt install uhubctl"):
        UhubctlPower("1-1.4", 2, uhubctl="/nonexistent/uhubctl").on()
    with pytest.raises(HilConfigError, match="is not a hub location"):
        UhubctlPower("usb1", 2)


def test_uhubctl_reads_only_our_port_in_the_new_status():
    p = UhubctlPower("1-1", 2)
    out = ("Current status for hub 1-1 [x]\n  Port 2: 0503 power enable connect\n"
           "Sent power off request\nNew status for hub 1-1 [x]\n  Port 1: 0503 power\n  Port 2: 0000 off\n")
    assert p.new_state(out) == "off"
    assert p.new_state(out.replace("Port 2: 0000 off", "Port 2: 0100 power")) == "on"
    assert p.new_state("Current status for hub 1-1 [x]\n  Port 2: 0000 off\n") is None


# -- serial relay -------------------------------------------------------------------------------

def test_serial_relay_sends_its_bytes_on_a_pty():
    master, slave = os.openpty()
    try:
        p = SerialRelayPower(os.ttyname(slave), bytes.fromhex("A00101A2"), bytes.fromhex("A00100A1"))
        p.on()
        assert os.read(master, 16) == bytes.fromhex("A00101A2")
        p.off()
        assert os.read(master, 16) == bytes.fromhex("A00100A1")
        p.close()
        assert p._serial is None
    finally:
        os.close(master)
        os.close(slave)


def test_serial_relay_that_is_not_there_is_one_line():
    with pytest.raises(TargetError, match=r"relay port /dev/nonexistent-relay cannot be opened .*plugged in"):
        SerialRelayPower("/dev/nonexistent-relay", b"\x01", b"\x00").on()


# -- GPIO ---------------------------------------------------------------------------------------

class FakeLine(GpioLine):
    made: list["FakeLine"] = []

    def __init__(self, chip, line, *, active_low, initial):
        self.args = (chip, line, active_low)
        self.values = [initial]
        self.released = False
        FakeLine.made.append(self)

    def set(self, active: bool) -> None:
        self.values.append(active)

    def release(self) -> None:
        self.released = True


def test_gpio_requests_the_line_once_drives_it_and_releases_it():
    FakeLine.made.clear()
    p = GpioPower("/dev/gpiochip0", 17, active_low=True, line_factory=FakeLine)
    p.off()
    p.on()
    p.off()
    assert len(FakeLine.made) == 1
    line = FakeLine.made[0]
    assert line.args == ("/dev/gpiochip0", 17, True) and line.values == [False, True, False]
    p.close()
    assert line.released and p._line is None


def test_gpio_without_a_chip_is_one_line():
    pytest.importorskip("gpiod")
    with pytest.raises(TargetError, match="is not a GPIO chip"):
        GpioPower("/dev/null", 0).on()


@pytest.mark.skipif(not glob.glob("/dev/gpiochip*"), reason="no /dev/gpiochip* on this machine: the gpio driver "
                    "ran only against a fake line here")
def test_gpio_on_a_real_chip():  # pragma: no cover - needs GPIO hardware (or gpio-sim)
    chip = sorted(glob.glob("/dev/gpiochip*"))[0]
    p = GpioPower(chip, 0)
    try:
        p.on()
        p.off()
    finally:
        p.close()


# -- manual -------------------------------------------------------------------------------------

def test_manual_asks_on_the_terminal_and_waits_for_enter(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    master, slave = os.openpty()
    try:
        os.write(master, b"\n")
        ManualPower(name="target 'proto'", tty=os.ttyname(slave)).off()
        asked = os.read(master, 200)
        assert b"switch OFF the power of target 'proto', then press Enter" in asked
    finally:
        os.close(master)
        os.close(slave)


def test_manual_refuses_to_run_on_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(HilConfigError, match="needs a person at the terminal, and CI is set"):
        ManualPower().on()


# -- every driver through the inventory ---------------------------------------------------------

_inventory = write_bench_inventory


@pytest.mark.parametrize("power, needle", [
    ('driver = "scpi"', "the scpi power driver needs `resource`"),
    ('driver = "scpi"\nresource = "X"\nvoltage = "3V3"', "`voltage` must be a number"),
    ('driver = "uhubctl"\nlocation = "1-1"', "the uhubctl power driver needs `port`"),
    ('driver = "uhubctl"\nlocation = "1-1"\nport = 2\nhub = 1', "unknown key(s) hub for the uhubctl power driver"),
    ('driver = "serial_relay"\nport = "/dev/ttyUSB0"\non = "zz"\noff = "00"', "`on` must be bytes in hex"),
    ('driver = "gpio"\nchip = "/dev/gpiochip0"\nline = -1', "`line` must be a whole number"),
    ('driver = "gpio"\nchip = "/dev/gpiochip0"\nline = 3\nactive_low = "yes"', "`active_low` must be true or false"),
    ('driver = "manual"\ntty = 5', "`tty` must be a non-empty string"),
])
def test_broken_driver_tables_stop_the_run_with_one_line(pytester, power, needle):
    _inventory(pytester, power)
    pytester.makepyfile("import pytest\n@pytest.mark.hil\ndef test_never(power):\n    raise AssertionError\n")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert needle in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_scpi_through_the_inventory_with_cut_delay_in_junit(pytester):
    pytest.importorskip("pyvisa_sim")
    _inventory(pytester, f'driver = "scpi"\nresource = "{SUPPLY}"\nvisa_backend = "{SIM}@sim"\nvoltage = 3.3')
    pytester.makepyfile('''
import pytest
from pytest_iot_hil.power.triggers import after

@pytest.mark.hil
def test_cut(power):
    power.on()
    with power.cut_at(after(0.05)):
        import time; time.sleep(1)
    assert power.switch._query("OUTP?") == "OFF"
    assert power.cuts[0].delay_s is not None and power.cuts[0].delay_s < 1
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "--junitxml=out.xml")
    result.assert_outcomes(passed=1)
    xml = (pytester.path / "out.xml").read_text()
    assert 'name="power_driver" value="scpi"' in xml and 'name="power_idn" value="HIL,SIMSUPPLY,0001,1.0"' in xml
    assert 'name="hil_power_cut_0"' in xml and "ms after the trigger" in xml


def test_every_builtin_driver_is_a_power_switch():
    from pytest_iot_hil.protocols.power import PowerSwitch

    for name in DRIVERS:
        cls = driver_class(name)
        assert issubclass(cls, PowerSwitch) and callable(cls.from_spec), name
