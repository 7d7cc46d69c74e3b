"""The simulated probe, driven by pyOCD's own code (ConnectHelper, Session, CoreSight discovery).

If these pass, the pyOCD backend's tests run against what pyOCD really does
with a probe, not against a stand-in of pyOCD.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pyocd.core import exceptions
from pyocd.core.helpers import ConnectHelper
from pyocd.core.target import Target

from hil_simprobe import registry


def _session(unique_id: str, **options):
    return ConnectHelper.session_with_chosen_probe(blocking=False, unique_id=unique_id,
                                                   target_override="cortex_m", **options)


def test_pyocd_lists_the_plugged_probes(bench):
    bench.plug("SIM0001")
    bench.plug("SIM0002")
    ids = [p.unique_id for p in ConnectHelper.get_all_connected_probes(blocking=False)]
    assert {"SIM0001", "SIM0002"} <= set(ids)
    # pyOCD's own command line sees the same bench (the entry point, in a fresh process).
    listed = subprocess.run([sys.executable, "-m", "pyocd", "list", "--probes"], capture_output=True,
                            text=True, timeout=120, env=os.environ.copy())
    assert "SIM0001" in listed.stdout and "SIM0002" in listed.stdout, listed.stdout + listed.stderr


def test_a_session_discovers_a_halted_cortex_m3(bench):
    bench.plug("SIM0001")
    with _session("SIM0001") as session:
        core = session.target.selected_core
        assert core.name == "Cortex-M3"
        assert session.target.dp.dpidr.idr == 0x2BA01477
        assert session.target.get_state() == Target.State.HALTED
        session.target.resume()
        assert session.target.get_state() == Target.State.RUNNING
    assert not registry.is_open("SIM0001")


@pytest.mark.parametrize("path", ["memory interface", "TAR/DRW registers"])
def test_memory_round_trips_and_faults(bench, path):
    bench.plug("SIM0001", memory_interface=(path == "memory interface"))
    data = bytes(range(256)) * 5 + b"odd"
    with _session("SIM0001") as session:
        target = session.target
        target.write_memory_block8(0x1001, list(data))
        assert bytes(target.read_memory_block8(0x1001, len(data))) == data
        target.write32(0x20000000, 0xDEADBEEF)
        target.write16(0x20000004, 0x1234)
        assert target.read32(0x20000000) == 0xDEADBEEF
        assert target.read16(0x20000004) == 0x1234
        with pytest.raises(exceptions.TransferFaultError):
            target.read32(0x10000000)  # nothing is mapped there


def test_registers_and_reset_to_the_vector_table(bench):
    bench.plug("SIM0001")
    with _session("SIM0001") as session:
        target = session.target
        target.write32(0x0, 0x20001000)
        target.write32(0x4, 0x00000201)
        target.write_core_register("r0", 0x12345678)
        assert target.read_core_register("r0") == 0x12345678
        target.reset_and_halt()
        assert target.get_state() == Target.State.HALTED
        assert target.read_core_register("pc") == 0x200
        assert target.read_core_register("sp") == 0x20001000
        target.reset(Target.ResetType.SYSTEM)
        assert target.get_state() == Target.State.RUNNING
    assert registry.board_of("SIM0001").reset_count == 2


def test_one_session_per_probe(bench):
    bench.plug("SIM0001")
    with _session("SIM0001"):
        with pytest.raises(exceptions.ProbeError, match="already open"):
            _session("SIM0001").open()
    with _session("SIM0001"):
        pass  # free again once the first closed


@pytest.mark.needs_qemu
def test_a_qemu_board_boots_what_pyocd_programmed(qemu_board):
    import serial
    from pyocd.flash.file_programmer import FileProgrammer

    from pytest_iot_hil.devices.demo.layout import firmware_dir

    factory = firmware_dir() / "factory-v1.bin"
    port = serial.serial_for_url(str(qemu_board.console), baudrate=115200, timeout=5)
    try:
        with _session(qemu_board.unique_id) as session:
            assert session.target.get_state() == Target.State.HALTED
            FileProgrammer(session).program(str(factory), base_address=0)
            assert bytes(session.target.read_memory_block8(0, 64)) == factory.read_bytes()[:64]
            session.target.reset(Target.ResetType.SYSTEM)
            line = port.read_until(b"app v1.0.0 slot=A")
            assert b"BOOT slot=A version=1.0.0" in line, line
            # Memory reads while the firmware runs: the journal's magic.
            assert bytes(session.target.read_memory_block8(0xC000, 4)) == b"JRNL"
            assert session.target.get_state() == Target.State.RUNNING
    finally:
        port.close()
