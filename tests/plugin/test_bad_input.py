"""Every bad input ends in one clear line (exit code 4 before any test), or, where it can
only show at run time (QEMU dying mid-test), fails that test with QEMU's own words.

The cases a hostile user found: flash and load limits, QEMU start failures,
output directories, campaign options, regions against flash, and a flooding
firmware whose transcript must stay bounded.
"""

from __future__ import annotations

import struct

import pytest
from unreached import INNER

from pytest_iot_hil.devices.demo.layout import firmware_dir

FACTORY = firmware_dir() / "factory-v1.bin"



def _target(flash: str = "{ start = 0x0, size = 0x100000 }", firmware=FACTORY, extra: str = "") -> str:
    return (f'[targets.board]\nbackend = "qemu"\ndevice = "demo"\nmachine = "mps2-an385"\n'
            f'firmware = "{firmware}"\nflash = {flash}\n{extra}')


def _run(pytester, *args):
    pytester.makepyfile(INNER)
    return pytester.runpytest("--hil", "-p", "no:cacheprovider", *args)


# -- 1. flash limits -----------------------------------------------------------------


@pytest.mark.parametrize("flash, needles", [
    pytest.param("{ start = 0x0, size = 0x100000000 }", ["flash size 0x100000000 (4096 MiB)", "limit of 64 MiB"],
                 id="4GiB"),
    pytest.param("{ start = 0x0, size = 0x40000000 }", ["flash size 0x40000000 (1024 MiB)", "limit of 64 MiB"],
                 id="1GiB"),
    pytest.param("{ start = 0x0, size = 0xFFFFFFFFFFFF }", ["past the 32-bit address space (limit 0x100000000)"],
                 id="48-bit"),
    pytest.param("{ start = 0xFFFFFFFF, size = 0x100 }", ["ends at 0x1000000ff", "past the 32-bit address space"],
                 id="start-near-4GiB"),
])
def test_flash_beyond_the_limits_is_refused(pytester, hil_toml, usage_error, flash, needles):
    hil_toml(_target(flash))
    usage_error(_run(pytester), "[targets.board].flash", *needles)


def test_load_address_past_4GiB_is_refused(pytester, hil_toml, usage_error):
    hil_toml(_target(extra="load_address = 0x100000000\n"))
    usage_error(_run(pytester), "[targets.board].load_address = 0x100000000 is past the 32-bit address space")


# -- 3. where the firmware goes --------------------------------------------------------


def _elf(paddr: int, size: int = 64) -> bytes:
    """A minimal 32-bit ARM ELF with one loadable segment at ``paddr``."""
    header = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, paddr, 52, 0, 0x05000000,
                                                             52, 32, 1, 0, 0, 0)
    phdr = struct.pack("<8I", 1, 84, paddr, paddr, size, size, 5, 4)
    return header + phdr + bytes(range(size))


def test_an_elf_segment_outside_flash_is_refused(pytester, hil_toml, usage_error):
    (pytester.path / "ram.elf").write_bytes(_elf(0x30000000))
    hil_toml(_target())
    usage_error(_run(pytester, "--hil-firmware", "ram.elf"),
                "ram.elf: loadable segment 0 (0x30000000-0x30000040, 64 bytes) lies outside the target's memory "
                "(flash 0x0-0x100000)", "link the firmware for this target")


def test_an_elf_segment_in_a_declared_ram_region_is_accepted(pytester, hil_toml):
    (pytester.path / "ram.elf").write_bytes(_elf(0x20000000))
    hil_toml(_target(extra="[targets.board.regions]\nsram = { start = 0x20000000, size = 0x40000, nonvolatile = false }\n"))
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "--hil-firmware", "ram.elf")
    result.assert_outcomes(passed=1)


def test_a_bin_larger_than_flash_is_refused(pytester, hil_toml, usage_error):
    (pytester.path / "big.bin").write_bytes(bytes(0x100001))
    hil_toml(_target())
    usage_error(_run(pytester, "--hil-firmware", "big.bin"),
                "big.bin (1048577 bytes) loaded at 0x0 would cover 0x0-0x100001, outside the target's memory")


def test_a_load_address_outside_flash_is_refused(pytester, hil_toml, usage_error):
    hil_toml(_target(extra="load_address = 0x90000000\n"))
    usage_error(_run(pytester), "loaded at 0x90000000 would cover 0x90000000-0x90100000",
                "fix load_address / flash")


# -- 6. regions against flash -----------------------------------------------------------


@pytest.mark.parametrize("regions, needles", [
    pytest.param("slot = { start = 0x100000, size = 0x1000 }",
                 ["regions.slot (0x100000-0x101000) lies outside the flash (0x0-0x100000)"], id="outside"),
    pytest.param("a = { start = 0x0, size = 0x2000 }\nb = { start = 0x1000, size = 0x2000 }",
                 ["a (0x0-0x2000) and b (0x1000-0x3000) overlap"], id="overlap"),
    pytest.param("sram = { start = 0x80000, size = 0x1000, nonvolatile = false }",
                 ["regions.sram (0x80000-0x81000) is RAM (nonvolatile = false) but overlaps the flash"], id="ram-in-flash"),
])
def test_regions_must_fit_the_flash_and_not_overlap(pytester, hil_toml, usage_error, regions, needles):
    hil_toml(_target(extra=f"[targets.board.regions]\n{regions}\n"))
    usage_error(_run(pytester), *needles)


def test_a_ram_of_size_zero_is_refused(pytester, hil_toml, usage_error):
    hil_toml(_target(extra="ram = { start = 0x20000000, size = 0 }\n"))
    usage_error(_run(pytester), "`ram` = { start = 0x20000000, size = 0x0 } must be a non-empty range")


# -- 4. output directories --------------------------------------------------------------


def test_a_log_dir_that_is_a_file_is_refused(pytester, usage_error):
    (pytester.path / "logs").write_text("not a directory")
    usage_error(_run(pytester, "--hil-log-dir", "logs"), "--hil-log-dir / hil_log_dir", "is a file, not a directory")


def test_a_log_dir_under_a_file_is_refused(pytester, usage_error):
    (pytester.path / "logs").write_text("not a directory")
    usage_error(_run(pytester, "--hil-log-dir", "logs/run1"), "lies under", "which is a file")


def test_an_unwritable_log_dir_is_refused(pytester, usage_error):
    usage_error(_run(pytester, "--hil-log-dir", "/proc/hil-logs"), "--hil-log-dir / hil_log_dir = /proc/hil-logs",
                "cannot write there", "choose a directory you can write to")


def test_a_campaign_export_that_is_a_file_is_refused(pytester, usage_error):
    (pytester.path / "export").write_text("not a directory")
    usage_error(_run(pytester, "--hil-campaign-export", "export"), "--hil-campaign-export / hil_campaign_export",
                "is a file, not a directory")


# -- 7. campaign options, checked with no campaign collected ----------------------------


@pytest.mark.parametrize("value", ["sample:0", "sample:-3", "sample:abc", "bogus", "sample:2:xyz"])
def test_bad_campaign_cuts_are_refused_without_a_campaign(pytester, usage_error, value):
    usage_error(_run(pytester, f"--hil-campaign-cuts={value}"), "--hil-campaign-*", f"cuts = {value!r} is not a cut "
                "selection", "sample:N")


def test_bad_campaign_cuts_in_the_ini_are_refused(pytester, usage_error):
    pytester.makeini("[pytest]\nhil_campaign_cuts = sample:0\n")
    usage_error(_run(pytester), "cuts = 'sample:0' is not a cut selection")


# -- 5. QEMU start failures, found before any test -------------------------------------


@pytest.mark.needs_qemu
@pytest.mark.parametrize("extra, needles", [
    pytest.param('machine = "no-such-machine"', ["machine 'no-such-machine'", "unsupported machine type"],
                 id="machine"),
    pytest.param('qemu = "/bin/false"', ["exit status 1", "fix `machine`, `qemu` or `extra_args`"], id="bin-false"),
    pytest.param('qemu = "/bin/true"', ["it is not QEMU (no QMP greeting)"], id="bin-true"),
    pytest.param('extra_args = ["-bogus"]', ["extra_args ['-bogus']", "-bogus: invalid option"], id="extra-args"),
])
def test_qemu_that_cannot_start_stops_the_run(pytester, hil_toml, usage_error, extra, needles):
    text = _target().replace('machine = "mps2-an385"\n', "" if "machine" in extra else 'machine = "mps2-an385"\n')
    hil_toml(text + extra + "\n")
    usage_error(_run(pytester), "QEMU did not start", *needles)


# -- 2. QEMU dying mid-test: the test fails with QEMU's exit status and last words ------


def _lockup_firmware() -> bytes:
    """SP, then a reset vector without the Thumb bit: the core faults, and faults in HardFault (vector 0).

    QEMU 7.2 aborts on that lockup: "qemu: fatal: Lockup: can't escalate 3 to HardFault".
    """
    return struct.pack("<II", 0x20001000, 0) + bytes(56)


@pytest.mark.needs_qemu
def test_a_qemu_crash_fails_the_test_with_its_cause_and_keeps_its_log(pytester):
    (pytester.path / "lockup.bin").write_bytes(_lockup_firmware())
    pytester.makepyfile("""
import pytest
@pytest.mark.hil
def test_boots(console):
    console.expect("app v1", timeout=5)
""")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "--hil-firmware", "lockup.bin")
    # QEMU may die while the console is still being set up (an error) or during the expect (a failure).
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == 1, outcomes
    result.stdout.fnmatch_lines([
        "*QEMU (pid *) exited by itself with signal SIGABRT (status -6); it said: qemu: fatal: Lockup: can't escalate*"
        "QEMU's whole log: *hil-logs/qemu-qemu-mps2-an385-*.log*"])
    kept = list((pytester.path / "hil-logs").glob("qemu-qemu-mps2-an385-*.log"))
    assert len(kept) == 1 and "Lockup" in kept[0].read_text()


# -- 8. transcripts have a bound ------------------------------------------------------------


def _flood_firmware() -> bytes:
    """Writes 'x' to UART0 as fast as its TX register frees up, forever (Thumb, hand-assembled)."""
    code = {
        0x40: 0x4807,  # ldr   r0, [pc, #28]    ; 0x40004000 (UART0), from 0x60
        0x42: 0x2101,  # movs  r1, #1
        0x44: 0x6081,  # str   r1, [r0, #8]     ; CTRL = TX_EN
        0x46: 0x2278,  # movs  r2, #'x'
        0x48: 0x6843,  # loop: ldr r3, [r0, #4] ; STATE
        0x4A: 0x07DB,  # lsls  r3, r3, #31      ; TXFULL into N
        0x4C: 0xD4FC,  # bmi   loop
        0x4E: 0x6002,  # str   r2, [r0]         ; DATA = 'x'
        0x50: 0xE7FA,  # b     loop
    }
    image = bytearray(0x64)
    struct.pack_into("<II", image, 0, 0x20001000, 0x41)
    for address, halfword in code.items():
        struct.pack_into("<H", image, address, halfword)
    struct.pack_into("<I", image, 0x60, 0x40004000)
    return bytes(image)


@pytest.mark.needs_qemu
def test_a_flood_keeps_the_head_and_tail_of_the_transcript_and_all_of_it_in_the_log(pytester, junit):
    (pytester.path / "flood.bin").write_bytes(_flood_firmware())
    pytester.makepyfile("""
import pytest
@pytest.mark.hil
def test_flood(console):
    with pytest.raises(Exception):
        console.expect("never", timeout=2)
    assert console.mark > 200_000
    kept = console.transcript
    assert len(kept) < 100_000 and b"bytes dropped here" in kept
    assert kept.startswith(b"x" * 1000) and kept.endswith(b"x" * 1000)
""")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "--hil-firmware", "flood.bin",
                                "--hil-transcript-limit", "64K", "--junitxml", "report.xml")
    result.assert_outcomes(passed=1)
    case = junit(pytester.path / "report.xml")["test_flood"]
    assert len(case.system_out) < 100_000 and "bytes dropped here: the full output is in the log file" in case.system_out
    log = next((pytester.path / "hil-logs").glob("test_*flood*.log"))
    assert log.stat().st_size > 200_000  # streamed, whole


@pytest.mark.parametrize("value, needle", [
    ("lots", "is not a size"), ("12Q", "is not a size"), ("100", "below the minimum of 4096 bytes"), ("-1M", "is not a size"),
])
def test_a_bad_transcript_limit_is_refused(pytester, usage_error, value, needle):
    usage_error(_run(pytester, f"--hil-transcript-limit={value}"), "--hil-transcript-limit / hil_transcript_limit",
                needle)


def test_the_transcript_keeps_positions_across_the_dropped_middle():
    from pytest_iot_hil.console.transcript import Transcript

    t = Transcript(limit=8192)
    for i in range(1000):
        t.append(b"%06d\n" % i)
    assert t.total == 7000 and t.dropped == 0 and bytes(t) == b"".join(b"%06d\n" % i for i in range(1000))
    mark = t.total
    for i in range(1000, 10000):
        t.append(b"%06d\n" % i)
    kept = bytes(t)
    assert t.dropped > 0 and kept.startswith(b"000000\n") and kept.endswith(b"009999\n")
    assert b"[... %d bytes dropped here" % t.dropped in kept
    assert len(kept) <= 8192 + 4096 + 100
    recent = t.total - 700
    assert t.since(recent) == b"".join(b"%06d\n" % i for i in range(9900, 10000))
    assert b"bytes dropped here" in t.since(mark)  # part of what came after mark was dropped
    assert Transcript(limit=None).limit is None
