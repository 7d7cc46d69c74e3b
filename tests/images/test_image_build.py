"""sign() calls imgtool exactly as firmware_fixtures/Makefile does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_iot_hil.errors import HilError
from pytest_iot_hil.devices.demo.layout import HEADER_SIZE as DEMO_HEADER_SIZE, SLOT_SIZE as DEMO_SLOT_SIZE
from pytest_iot_hil.devices.demo.layout import BOARDS, board_of_slot, signing_key
from pytest_iot_hil.images import ImageBuildError, read_image, sign

FIXTURES = Path(__file__).resolve().parents[2] / "firmware_fixtures"
BUILD = FIXTURES / "build"
GOOD_IMAGES = sorted(BUILD.glob("*.signed.bin")) + sorted((BUILD / "stm32f4").glob("*.signed.bin"))
MAKEFILE = (FIXTURES / "Makefile").read_text()


def make_var(name: str) -> str:
    m = re.search(rf"^{name}\s*:?=\s*(\S+)", MAKEFILE, re.M)
    assert m, f"{name} not set in firmware_fixtures/Makefile"
    return m.group(1)


def test_the_makefile_signs_with_our_arguments():
    """If the Makefile's imgtool line changes, sign() must change with it."""
    m = re.search(r"\$\$\(IMGTOOL\) sign (.*?)\$\$< \$\$@", MAKEFILE, re.S)
    assert m, "no imgtool sign rule in firmware_fixtures/Makefile"
    args = m.group(1).replace("\\\n", " ").split()
    assert args == [
        "--header-size", "0x200", "--pad-header", "--slot-size", "$($(1)_SLOT_SIZE)",
        "--rom-fixed", "$($(1)_SLOT_BASE_$(5))", "--align", "8", "--version", "$(3)",
        "--security-counter", "$(4)", "--key", "$(KEY)",
    ]  # fmt: skip
    assert make_var("KEY") == "keys/demo-test-ed25519.pem"
    # Each board's slots, as the profile's layout has them.
    for prefix, board in zip(("MPS2", "F4"), BOARDS):
        assert int(make_var(f"{prefix}_SLOT_SIZE"), 0) == board.slot_size
        assert {s: int(make_var(f"{prefix}_SLOT_BASE_{s}"), 0) for s in "AB"} == board.slot_bases


@pytest.mark.parametrize("path", GOOD_IMAGES, ids=lambda p: str(p.relative_to(BUILD)))
def test_sign_reproduces_every_committed_image(path, tmp_path, good_images):
    data = good_images[path.name] if path.parent == BUILD else path.read_bytes()
    info = read_image(data)
    raw = tmp_path / "raw.bin"
    raw.write_bytes(info.payload)  # what objcopy wrote: --pad-header adds the header room
    out = sign(raw, tmp_path / "signed.bin", version=info.version, security_counter=info.security_counter,
               slot_base=info.load_addr, slot_size=board_of_slot(info.load_addr).slot_size,
               header_size=DEMO_HEADER_SIZE, key=signing_key())
    assert out == tmp_path / "signed.bin"
    assert out.read_bytes() == data


RAW = sorted((FIXTURES / "obj" / "raw").glob("app-*.bin")) + sorted((FIXTURES / "obj" / "raw" / "stm32f4").glob("app-*.bin"))


@pytest.mark.skipif(not RAW, reason="no local firmware build (firmware_fixtures/obj/raw)")
@pytest.mark.parametrize("raw", RAW, ids=lambda p: str(p.relative_to(FIXTURES / "obj" / "raw")))
def test_sign_of_the_local_raw_build_matches_its_signed_output(raw, tmp_path):
    # obj/ is a local build that may be newer than build/: compare with its own output.
    signed = FIXTURES / "obj" / "out" / raw.parent.relative_to(FIXTURES / "obj" / "raw") / raw.name.replace(".bin", ".signed.bin")
    if not signed.is_file():
        pytest.skip(f"{signed} not built")
    expected = signed.read_bytes()
    info = read_image(expected)
    if info.payload != raw.read_bytes():
        pytest.skip(f"{raw.name} and {signed.name} come from different builds (a rebuild is running?)")
    out = sign(raw, tmp_path / "out.bin", version=info.version, security_counter=info.security_counter,
               slot_base=info.load_addr, slot_size=board_of_slot(info.load_addr).slot_size,
               header_size=DEMO_HEADER_SIZE, key=signing_key())
    assert out.read_bytes() == expected


def test_missing_input(tmp_path):
    with pytest.raises(ImageBuildError, match=r"cannot sign .*missing\.bin: the file does not exist"):
        sign(tmp_path / "missing.bin", tmp_path / "out.bin", version="1.0.0", security_counter=1,
             slot_base=0x10000, slot_size=DEMO_SLOT_SIZE, header_size=DEMO_HEADER_SIZE)


def test_imgtool_errors_name_the_input_and_quote_imgtool(tmp_path, good_images):
    raw = tmp_path / "app.bin"
    raw.write_bytes(read_image(good_images["app-v1-slotA.signed.bin"]).payload)
    with pytest.raises(ImageBuildError) as exc:
        sign(raw, tmp_path / "out.bin", version="1.x", security_counter=1, slot_base=0x10000,
             slot_size=DEMO_SLOT_SIZE, header_size=DEMO_HEADER_SIZE)
    message = str(exc.value)
    assert str(raw) in message and "1.x" in message
    assert "Invalid value for '-v' / '--version'" in message  # imgtool's own words
    assert isinstance(exc.value, HilError)

    with pytest.raises(ImageBuildError, match=r"imgtool could not sign .*app\.bin.*: Error: Image size .* exceeds"):
        sign(raw, tmp_path / "out.bin", version="1.0.0", security_counter=1, slot_base=0x10000, slot_size=0x1000,
             header_size=DEMO_HEADER_SIZE)
