"""The demo profile on its two boards: which images, which map, chosen by the run's target."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_iot_hil.devices.demo import demo_image
from pytest_iot_hil.devices.demo.layout import (
    MPS2, STM32F4, board_of, board_of_slot, builtin_target, current_board, renode_builtin_target, use_board,
)
from pytest_iot_hil.errors import FirmwareError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_each_board_has_its_own_image_set():
    assert demo_image("v2", "B", board=MPS2).parent.name == "build"
    path = demo_image("v2", "B", board=STM32F4)
    assert path.parent.name == "stm32f4" and path.name == "app-v2-slotB.signed.bin"
    assert demo_image("bad/payload-flip", "A", board=STM32F4).parent.parent.name == "stm32f4"
    with pytest.raises(FirmwareError, match=r"no demo image 'v9' for slot A of board stm32f4 at .*stm32f4"):
        demo_image("v9", "A", board=STM32F4)


def test_the_board_follows_the_target():
    assert board_of(builtin_target()) is MPS2 and board_of(renode_builtin_target()) is STM32F4
    assert board_of_slot(0x080A0000) is STM32F4 and board_of_slot(0x88000) is MPS2
    try:
        use_board(STM32F4)
        assert current_board() is STM32F4 and "stm32f4" in str(demo_image("v2", "A"))
    finally:
        use_board(MPS2)


def test_the_renode_target_describes_the_stm32f4_build():
    d = renode_builtin_target()
    assert d.backend == "renode" and d.device == "demo" and d.load_address == 0x08000000
    assert d.firmware.name == "factory-v1.bin" and d.firmware.parent.name == "stm32f4" and d.firmware.is_file()
    assert Path(d.options["platform"]).is_file() and d.options["uart"] == "sysbus.usart2"
    assert {r.name: (r.start, r.size) for r in d.regions} == {
        "bootloader": (0x08000000, 0x8000), "journal": (0x08008000, 0x8000), "reserved": (0x08010000, 0x10000),
        "slot_a": (0x08040000, 0x60000), "slot_b": (0x080A0000, 0x60000)}
    assert d.options["flash_watch"] == {"register": 0x40023C10, "done_mask": 0x80000000, "control": 0x90000000}


def test_the_examples_skip_with_the_install_hint_without_renode(pytester, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(pytester.path))
    monkeypatch.delenv("RENODE_ROOT", raising=False)
    pytester.makepyfile(test_board="""
        from pytest_iot_hil.devices.demo import demo_image
        from pytest_iot_hil.devices.demo.layout import current_board

        def test_images_are_the_stm32f4_builds():
            assert current_board().name == "stm32f4"
            assert demo_image("v2", "B").parent.name == "stm32f4"
    """)
    # In a process of its own: the examples share module names with tests of this suite.
    result = pytester.runpytest_subprocess(str(EXAMPLES), "test_board.py", "--hil", "--hil-target", "renode-stm32f4",
                                "-p", "no:cacheprovider", "-rs", "-q")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1, result.stdout.str()[-3000:]
    assert outcomes.get("skipped", 0) >= 20   # every example that needs the target
    assert not {"failed", "errors", "error"} & set(outcomes), result.stdout.str()[-3000:]
    reason = "renode was not found (needed by target 'renode-stm32f4'): install Renode: " \
             "`pip install renode-run && renode-run download`"
    skips = [line for line in result.stdout.lines if line.startswith("SKIPPED")]
    assert skips and all(reason in line for line in skips), skips[:5]


def test_the_renode_files_agree_with_the_target():
    root = EXAMPLES.parent
    repl = (root / "renode" / "demo-stm32f4.repl").read_text()
    resc = (root / "renode" / "demo.resc").read_text()
    d = renode_builtin_target()
    assert 'using "platforms/cpus/stm32f4.repl"' in repl
    assert f"flash:\n    size: 0x{STM32F4.flash.size:X}\n" in repl
    assert f"hil_control: Memory.MappedMemory @ sysbus 0x{d.options['flash_watch']['control']:X}\n" in repl
    assert "ApplySVD" not in repl.split("sysbus:\n    init:")[1]   # nothing fetched at load
    factory = resc.split("$factory?=@")[1].split()[0]
    assert (root / factory).is_file() and factory.endswith("stm32f4/factory-v1.bin")
    assert f"sysbus LoadBinary $factory 0x{STM32F4.flash.start:08X}" in resc
    assert f"cpu VectorTableOffset 0x{d.options['vector_table']:08X}" in resc
    assert "machine LoadPlatformDescription @renode/demo-stm32f4.repl" in resc
