"""The pyOCD target on simulated probes: choosing the probe, the errors, programming, memory, resets, closing."""

from __future__ import annotations

import pytest
from intelhex import IntelHex

from hil_simprobe import registry
from pytest_iot_hil.backends.pyocd.target import PyocdTarget, choose_probe, validate
from pytest_iot_hil.devices.demo.layout import FLASH, firmware_dir
from pytest_iot_hil.errors import HilConfigError, TargetError
from pytest_iot_hil.firmware import FirmwareImage
from pytest_iot_hil.protocols.target import TargetDescription

BOOTLOADER = firmware_dir() / "bootloader.bin"


def board(probe: str | None = "SIM0001", *, source: str = "/bench/hil.toml", **options) -> TargetDescription:
    opts = {"target_type": "cortex_m", **options}
    if probe is not None:
        opts["probe"] = probe
    return TargetDescription(name="nucleo-1", backend="pyocd", firmware=None, flash=FLASH,
                             options=opts, source=source)


# -- the inventory entry ---------------------------------------------------------------


@pytest.mark.parametrize("options, message", [
    ({"target_type": "stm32f999zz"},
     "pyOCD does not know target type 'stm32f999zz': install its pack with `pyocd pack install stm32f999zz`"),
    ({"target_type": None}, "add `target_type`"),
    ({"pack": "Keil.Nothing_DFP.pack"}, "CMSIS pack 'Keil.Nothing_DFP.pack' not found (/bench/Keil.Nothing_DFP.pack)"),
    ({"connect_mode": "sometimes"}, "`connect_mode` = 'sometimes': choose one of halt, pre-reset, under-reset, attach"),
    ({"reset_type": "kick"}, "`reset_type` = 'kick': choose one of hardware, software, core, halt"),
    ({"frequency": "fast"}, "`frequency` must be a number from 1000 to 100000000, not 'fast'"),
    ({"serial": "/dev/ttyACM0"}, "unknown key(s) serial for backend pyocd"),
    ({"pyocd_options": "x"}, "`pyocd_options` must be a table"),
])
def test_a_broken_entry_is_refused_with_what_to_do(options, message):
    description = board(**options)
    if options.get("target_type", "") is None:
        description.options.pop("target_type")
    with pytest.raises(HilConfigError) as excinfo:
        validate(description)
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


def test_a_pack_next_to_the_inventory_is_accepted(tmp_path):
    (tmp_path / "Vendor.Part_DFP.pack").write_bytes(b"PK")
    validate(board(target_type="part_from_pack", pack="Vendor.Part_DFP.pack", source=str(tmp_path / "hil.toml")))


# -- choosing the probe ------------------------------------------------------------------


def test_no_probe_at_all(bench):
    with pytest.raises(TargetError, match=r"no debug probe 'SIM0001' is connected \(connected: none\): plug the board in"):
        choose_probe(board())


def test_the_probe_by_exact_id_wins_over_a_longer_one(bench):
    bench.plug("SIM0001")
    bench.plug("SIM00011")
    assert choose_probe(board("sim0001")).unique_id == "SIM0001"  # case-insensitive, as pyOCD
    assert choose_probe(board("00011")).unique_id == "SIM00011"


def test_several_matching_probes_are_named(bench):
    bench.plug("SIM0001")
    bench.plug("SIM0002")
    with pytest.raises(TargetError) as excinfo:
        choose_probe(board("SIM000"))
    text = str(excinfo.value)
    assert "probe 'SIM000' matches 2 connected probes (SIM0001 (pytest-iot-hil Simulated SWD probe" in text
    assert "SIM0002" in text and "give more of its unique id in `probe`" in text
    with pytest.raises(TargetError, match=r"several probes are connected \(connected: SIM0001 .*SIM0002.*set `probe`"):
        choose_probe(board(None))


def test_an_unknown_id_lists_what_is_connected(bench):
    bench.plug("SIM0001")
    with pytest.raises(TargetError, match=r"no debug probe 'ABCD' is connected \(connected: SIM0001 \(pytest-iot-hil "):
        choose_probe(board("ABCD"))
    assert choose_probe(board(None)).unique_id == "SIM0001"  # the only one


# -- a board through the target ------------------------------------------------------------


@pytest.fixture
def target(bench):
    bench.plug("SIM0001")
    t = PyocdTarget(board(reset_type="software"))
    yield t
    t.close()


def _flash(unique_id: str = "SIM0001") -> bytes:
    return registry.board_of(unique_id).read(FLASH.start, 0x8000)


def test_program_a_bin_at_its_load_address_then_reset(target):
    target.start(FirmwareImage.load(BOOTLOADER))
    image = BOOTLOADER.read_bytes()
    assert _flash()[: len(image)] == image
    assert target.read_memory(0, 16) == image[:16]
    assert target.resets == 1  # pyOCD does not reset after programming: the target does
    assert registry.board_of("SIM0001").reset_count == 1


def test_program_a_hex_and_an_elf(target, tmp_path):
    hexfile = tmp_path / "boot.hex"
    ih = IntelHex()
    ih.loadbin(str(BOOTLOADER), offset=0x2000)
    ih.write_hex_file(str(hexfile))
    target.start(FirmwareImage.load(hexfile))
    assert target.read_memory(0x2000, 256) == BOOTLOADER.read_bytes()[:256]

    elf = firmware_dir() / "bootloader.elf"
    image = FirmwareImage.load(elf)
    target.program(image)
    for segment in image.segments:
        if segment.address < FLASH.end:
            assert target.read_memory(segment.address, len(segment.data)) == segment.data


def test_memory_writes_into_flash_and_ram(target):
    target.start(None)
    # pyOCD's generic cortex_m map calls this RAM: a plain store (a part's flash: its flash loader).
    target.write_memory(0xC000, b"JRNL\x01\x00\x00\x00")
    target.write_memory(0x20000100, b"ram!")
    assert target.read_memory(0xC000, 8) == b"JRNL\x01\x00\x00\x00"
    assert target.read_memory(0x20000100, 4) == b"ram!"
    with pytest.raises(TargetError, match=r"reading 4 bytes at 0x30000000 faulted at 0x30000000: nothing is mapped"):
        target.read_memory(0x30000000, 4)


def test_reset_kinds(target):
    target.start(None)
    target.write_memory(0, (0x20001000).to_bytes(4, "little") + (0x401).to_bytes(4, "little"))
    target.reset("halt")
    core = target.session.target
    assert core.is_halted() and core.read_core_register("pc") == 0x400
    target.reset("software")
    assert core.is_running()
    target.reset("hardware")
    assert core.is_running()
    assert registry.board_of("SIM0001").reset_count == 4
    with pytest.raises(ValueError, match="choose one of hardware, software, core, halt"):
        target.reset("kick")


def test_close_ends_the_session_on_every_path(target):
    target.start(None)
    assert registry.is_open("SIM0001")
    target.close()
    target.close()  # idempotent
    assert not registry.is_open("SIM0001")
    with pytest.raises(TargetError, match="has no open pyOCD session"):
        target.read_memory(0, 4)
    again = PyocdTarget(target.description)
    again.start(None)  # the probe is free for the next test
    again.close()


def test_a_busy_probe_says_so(target):
    target.start(None)
    other = PyocdTarget(target.description)
    with pytest.raises(TargetError, match=r"probe SIM0001 could not be opened \(.*already open.*\): close any other debugger"):
        other.start(None)
    assert registry.is_open("SIM0001")  # the first session is untouched


def test_properties_and_a_missing_console(target):
    target.start(None)
    props = target.properties()
    assert props["hil_backend"] == "pyocd" and props["hil_probe"] == "SIM0001"
    assert props["hil_pyocd_target_type"] == "cortex_m"
    with pytest.raises(HilConfigError, match=r'needs a console: add `console = "/dev/ttyACM0"`'):
        target.console_port()


@pytest.mark.needs_qemu
def test_a_board_that_lost_power_is_reattached(qemu_board):
    target = PyocdTarget(TargetDescription(name="b", backend="pyocd", firmware=None, flash=FLASH,
                                           options={"target_type": "cortex_m", "probe": qemu_board.unique_id,
                                                    "console": str(qemu_board.console)}))
    try:
        target.start(FirmwareImage.load(firmware_dir() / "factory-v1.bin"))
        port = target.console_port()
        port.timeout = 5
        assert b"app v1.0.0" in port.read_until(b"app v1.0.0")
        qemu_board.board.power_off()
        # No power: the debug port does not answer, and re-attaching finds no target either.
        with pytest.raises(TargetError, match=r"reading 4 bytes at 0x0000c000 failed \(.*no ACK.*\), and again after "
                                              r"re-attaching \(.*no target answers on probe SIMQ0001"):
            target.read_memory(0xC000, 4)
        qemu_board.board.power_on()
        # The next access re-attaches (without halting the board, which is booting by itself).
        assert target.read_memory(0xC000, 4) == b"JRNL"
        assert b"app v1.0.0" in port.read_until(b"app v1.0.0")
    finally:
        target.close()
    assert not registry.is_open(qemu_board.unique_id)
