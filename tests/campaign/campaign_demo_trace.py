"""A synthetic trace of the demo update, built from the real images and journal format.

It stores what the demo firmware stores, in the same order (BEGIN record,
erase + program of slot B, ACTIVATE, the trial boot's tries record, CONFIRM),
so the demo oracle can be tested on exact cut states without an emulator.
"""

from __future__ import annotations

from pathlib import Path

from campaign_flashsim import SimFlash

from pytest_iot_hil.devices.demo.journal import SlotRecord, encode_record
from pytest_iot_hil.campaign import Campaign, LoadedCampaign, StateSpace, Trace
from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate
from pytest_iot_hil.campaign.trace import Mark
from pytest_iot_hil.images.mcuboot import read_image
from pytest_iot_hil.devices.demo.layout import builtin_target, firmware_dir as demo_firmware_dir

JOURNAL = 0xC000
SLOT_A, SLOT_B = 0x10000, 0x88000


def _slot(image: bytes, state: str, tries: int = 3) -> SlotRecord:
    info = read_image(image)
    return SlotRecord(state, tries, info.security_counter, info.version, int.from_bytes(info.computed_sha256[:4], "big"))


def demo_records(v1: bytes, v2: bytes) -> dict[str, bytes]:
    a = _slot(v1, "CONFIRMED")
    empty = SlotRecord("EMPTY", 0, 0, "0.0.0", 0)
    return {
        "factory": encode_record(seq=1, preferred="A", floor=1, slots={"A": a, "B": empty}),
        "begin": encode_record(seq=2, preferred="A", reason="UPDATE", floor=1, slots={"A": a, "B": empty}),
        "activate": encode_record(seq=3, preferred="B", reason="UPDATE", floor=1,
                                  slots={"A": a, "B": _slot(v2, "PENDING", 3)}),
        "trial": encode_record(seq=4, preferred="B", floor=1, slots={"A": a, "B": _slot(v2, "PENDING", 2)}),
        "confirm": encode_record(seq=5, preferred="B", reason="CONFIRM", floor=2,
                                 slots={"A": a, "B": _slot(v2, "CONFIRMED", 3)}),
    }


def build_demo_campaign() -> LoadedCampaign:
    description = builtin_target()
    root = demo_firmware_dir()
    v1 = (root / "app-v1-slotA.signed.bin").read_bytes()
    v2 = (root / "app-v2-slotB.signed.bin").read_bytes()
    records = demo_records(v1, v2)
    sim = SimFlash(size=0x100000, regions=description.regions)
    sim.data[:] = Path(root / "factory-v1.bin").read_bytes()
    sim.data[JOURNAL : JOURNAL + 64] = records["factory"]  # the first boot's record
    initial = sim.image
    padded = v2 + b"\xff" * (-len(v2) % 8)
    sim.program(JOURNAL + 64, records["begin"])
    for sector in range(SLOT_B, SLOT_B + len(padded), 0x1000):
        sim.erase(sector)
    sim.program(SLOT_B, padded)
    sim.program(JOURNAL + 128, records["activate"])
    sim.program(JOURNAL + 192, records["trial"])
    marks = [Mark("trial_boot", len(sim.writes))]
    sim.program(JOURNAL + 256, records["confirm"])
    marks.append(Mark("confirm_acked", len(sim.writes)))
    trace = Trace(0, initial, tuple(sim.writes), tuple(marks))
    campaign = Campaign(procedure=DemoUpdate(v2), oracle=DemoOracle(new_image=v2))
    loaded = LoadedCampaign(campaign, description, "synthetic", trace,
                            StateSpace.from_writes(initial, 0, sim.writes))
    loaded.prepare_oracle()
    loaded.v1, loaded.v2, loaded.records, loaded.final = v1, v2, records, sim.image
    return loaded
