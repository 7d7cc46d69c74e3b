"""The demo bootloader's oracle: invariants I1-I12 after every cut.

The demo is one client of the campaign API, not a special case: an oracle
for another firmware subclasses :class:`~pytest_iot_hil.campaign.Oracle` the
same way and reads that firmware's boot messages and metadata.

``DemoOracle(new_image=...)`` judges one booted cut state against the
invariants below (the demo bootloader's promises, see ``firmware_fixtures/PROTOCOL.md``),
as far as each is observable here:

* I1  a BOOT line and the app banner within ``boot_timeout``; RECOVERY only
      when no slot of the cut state holds an image that validates;
* I2  the running slot, read back after the boot, passes ``check_demo_image``;
* I3  its SEC_CNT >= the floor after the boot; that floor >= the initial
      floor, the cut state's floor and every floor committed before the cut;
* I4  the running slot starts with a known image for that slot (the initial
      slot content, or the new image) byte for byte;
* I5  in the cut state and after the boot, no PENDING/CONFIRMED slot fails
      validation against its journal digest; the old image never runs while
      the new one stays PENDING;
* I6  in the cut state and after the boot: a valid record exists (the
      journal never erases the sector of its latest record), the latest seq
      is not below one committed before the cut, seqs of valid records
      strictly increase within a sector and never repeat (so exactly one is
      the latest);
* I7  the fallback slot (the one running CONFIRMED at the start) is
      bit-identical to before: in the cut state (whole slot) and read back
      after the boot (its image extent);
* I8  checked on trial states (the boot says PENDING): the emulator is reset
      without confirming until the fallback runs; the new image may boot
      PENDING at most min(TRIES, tries left in the cut state) times and the
      fallback must then run with rollback=TRIES_EXHAUSTED (also when the cut
      state already had no try left);
* I9  the running image's SEC_CNT >= every floor committed up to the cut;
* I10 only on a sample (it re-runs the update, ~1 s): per process, the first
      cut of every class of outcome (slot, version, state, tries and rollback
      of the BOOT line, slot states of the latest record); the runner's
      ``retry`` policy can also make it every cut or none;
* I11 after the ``confirm_acked`` mark, the new image runs CONFIRMED and the
      latest record says so;
* I12 the banner's version and slot equal the BOOT line's and the header
      version of the read-back running slot.

With ``hostile=True`` the new image is an attack the device must refuse
(:class:`~pytest_iot_hil.devices.demo.procedure.DemoAttack`): it is not a
known image for any slot, so running it breaks I4 (and I2, its signature or
hash failing the model's check), and I10 wants the old image running
CONFIRMED after the retry.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pexpect

from ...campaign.errors import CampaignError
from ...campaign.oracle import CutContext, Oracle, Violation
from ...images.mcuboot import peek_image
from .bootline import BootLine, InfoLine, find_boot_lines
from .image_check import check_demo_image
from .images import LazyImage
from .journal import TRIES_DEFAULT, Journal, JournalRecord
from .layout import JOURNAL, SLOT_REGIONS

if TYPE_CHECKING:  # pragma: no cover
    from ...campaign.load import LoadedCampaign
    from ...campaign.trace import Device


@dataclasses.dataclass
class DemoObservation:
    """What one booted cut state showed."""

    boot: BootLine | None
    banner: tuple[str, str] | None  # (version, slot)
    seconds: float
    transcript: str
    journal_after: bytes | None = None
    slots_after: dict[str, bytes] = dataclasses.field(default_factory=dict)
    #: BOOT lines of the resets done for I8 (the first boot excluded).
    trial_boots: list[BootLine] = dataclasses.field(default_factory=list)
    retried: bool = False
    retry_error: str | None = None
    retry_info: InfoLine | None = None

    @functools.cached_property
    def journal(self) -> Journal | None:
        """The journal read back after the boot, decoded (once)."""
        return Journal.from_bytes(self.journal_after) if self.journal_after is not None else None


@dataclasses.dataclass
class DemoPrepared:
    """What :meth:`DemoOracle.prepare` computes for one campaign (``ctx.prepared``)."""

    #: Flash address of each slot, and (offset in the image, size) of each slot and of the journal.
    bases: dict[str, int]
    offsets: dict[str, tuple[int, int]]
    journal_at: tuple[int, int]
    sector_size: int
    initial_floor: int
    #: The slot that ran CONFIRMED before the update (None: none did), and its image.
    fallback: str | None
    fallback_image: bytes
    #: Images a slot may legitimately run, by slot.
    known: dict[str, list[bytes]]
    #: (highest floor, highest seq) any committed record had, in the states before op k.
    committed: list[tuple[int, int]]

    def journal(self, image: bytes) -> Journal:
        off, size = self.journal_at
        return Journal.from_bytes(image[off : off + size])

    def slot(self, image: bytes, slot: str) -> bytes:
        off, size = self.offsets[slot]
        return image[off : off + size]

    def extent(self, slot: str, pre_slot: bytes) -> int:
        """How much of a slot to read back: every known image for it, and what its header claims."""
        want = max([len(i) for i in self.known.get(slot, [])] + [peek_image(pre_slot).extent, 64])
        return min(len(pre_slot), -(-want // self.sector_size) * self.sector_size)


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "(nothing)"


def _banner(text: str) -> tuple[str, str] | None:
    """(version, slot) of the app banner ``app v<version> slot=<slot>`` matched by ``wait_for_boot``."""
    words = text.split()
    if len(words) < 3 or not words[1].startswith("v") or not words[2].startswith("slot="):
        return None
    return words[1][1:], words[2][len("slot="):]


#: The demo bootloader's invariants, named in violations and the report
#: (the bootloader's promises, ``firmware_fixtures/PROTOCOL.md``).
INVARIANTS = {
    "I1": "an app runs within T seconds; recovery only if no valid image exists",
    "I2": "the running slot passes full validation",
    "I3": "running SEC_CNT >= floor; the floor never decreases",
    "I4": "the running slot is exactly one known image",
    "I5": "all or nothing: no PENDING/CONFIRMED slot fails validation",
    "I6": "exactly one latest valid journal record; seq strictly increases",
    "I7": "the fallback slot stays bit-identical",
    "I8": "an unconfirmed image boots at most TRIES times, then the fallback runs",
    "I9": "an image below the floor never runs",
    "I10": "retrying the update after the cut ends with the new image confirmed",
    "I11": "an ACKed confirm survives",
    "I12": "the version and slot the app reports match the read-back image",
}


class DemoOracle(Oracle):
    """Invariants I1-I12 for the demo bootloader (see the module docstring).

    The instance holds configuration only; what :meth:`prepare` computes from
    a campaign's trace is returned (a :class:`DemoPrepared`) and kept with
    that campaign, so one ``DemoOracle`` may serve several campaigns.
    """

    invariants = INVARIANTS

    def __init__(
        self,
        new_image: bytes | str | Path | None = None,
        *,
        new_slot: str = "B",
        slot_regions: dict[str, str] | None = None,
        journal_region: str = JOURNAL.name,
        tries: int = TRIES_DEFAULT,
        boot_timeout: float = 3.0,
        confirm_mark: str = "confirm_acked",
        hostile: bool = False,
    ) -> None:
        self._new_image = LazyImage(new_image, new_slot)
        #: The new image is an attack (see :class:`~.procedure.DemoAttack`): it is
        #: no image a slot may run (I2, I4), and retrying must end with the old
        #: image still running CONFIRMED (I10).
        self.hostile = hostile
        self.new_slot = new_slot
        self.slot_regions = dict(slot_regions or SLOT_REGIONS)
        self.journal_region = journal_region
        self.tries = tries
        self.boot_timeout = boot_timeout
        self.confirm_mark = confirm_mark

    @property
    def new_image(self) -> bytes:
        """The image the update installs (read on first use)."""
        return self._new_image.data

    @property
    def new_version(self) -> str | None:
        return self._new_image.version

    def identity(self) -> str:
        hostile = ":hostile" if self.hostile else ""
        return f"DemoOracle:{self.journal_region}:{sorted(self.slot_regions.items())}{hostile}"

    # -- once per campaign ----------------------------------------------------------
    def prepare(self, campaign: "LoadedCampaign") -> DemoPrepared:
        trace = campaign.trace
        regions = {s: campaign.description.region(r) for s, r in self.slot_regions.items()}
        jr = campaign.description.region(self.journal_region)
        journal_at = (jr.start - trace.flash_start, jr.size)
        initial_journal = Journal.from_bytes(trace.initial[journal_at[0] : journal_at[0] + journal_at[1]])
        initial = initial_journal.latest
        if initial is None:
            raise CampaignError("the traced procedure started from a device without a valid journal record: "
                                "boot the factory image once before tracing")
        fallback = next((s for s, rec in initial.slots.items() if s != self.new_slot and rec.state == "CONFIRMED"),
                        None)
        p = DemoPrepared(
            bases={s: r.start for s, r in regions.items()},
            offsets={s: (r.start - trace.flash_start, r.size) for s, r in regions.items()},
            journal_at=journal_at, sector_size=campaign.campaign.geometry.sector_size,
            initial_floor=initial.floor, fallback=fallback, fallback_image=b"", known={}, committed=[],
        )
        old = p.slot(trace.initial, fallback) if fallback else b""
        p.fallback_image = old[: peek_image(old).extent]
        p.known = {self.new_slot: [] if self.hostile else [self.new_image]}
        if fallback:
            p.known.setdefault(fallback, []).append(p.fallback_image)
        p.committed = self._committed_by_op(campaign, p, initial)
        return p

    @staticmethod
    def _committed_by_op(campaign: "LoadedCampaign", p: DemoPrepared, latest: JournalRecord) -> list[tuple[int, int]]:
        """(highest floor, highest seq) any committed record had, in the states before op k."""
        off, size = p.journal_at
        journal = bytearray(campaign.trace.initial[off : off + size])
        base = campaign.trace.flash_start + off
        floor, seq = p.initial_floor, latest.seq
        out = []
        for op in campaign.space.ops:
            out.append((floor, seq))
            touched = False
            for patch in op.patches:
                if base <= patch.address < base + size:
                    journal[patch.address - base : patch.address - base + len(patch.new)] = patch.new
                    touched = True
            if touched:
                latest = Journal.from_bytes(bytes(journal)).latest
                if latest is not None:
                    floor, seq = max(floor, latest.floor), max(seq, latest.seq)
        out.append((floor, seq))
        return out

    # -- boots ---------------------------------------------------------------------------
    def wait_booted(self, device: "Device") -> None:
        boot, banner = self._expect_boot(device)
        if boot is None:
            raise CampaignError(f"no BOOT line within {self.boot_timeout} s: {_tail(device.console.tail())}")
        if boot.slot is not None and banner is None:
            raise CampaignError(f"{boot.raw!r} but no app banner within {self.boot_timeout} s")

    def _expect_boot(self, device: "Device") -> tuple[BootLine | None, tuple[str, str] | None]:
        """The next BOOT line and app banner (``DemoUpdateClient.wait_for_boot``); None for what did not come."""
        mark = device.console.mark
        try:
            boot = device.boot.wait_for_boot(self.boot_timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            # Either the BOOT line or the banner after it did not come: the transcript says which.
            seen = find_boot_lines(device.console.transcript_since(mark).decode("utf-8", errors="replace"))
            return (seen[0] if seen else None), None
        return boot, (_banner(device.console.after) if boot.slot is not None else None)

    # -- observing ----------------------------------------------------------------------
    def check(self, device: "Device", ctx: CutContext) -> list[Violation]:
        return self.judge(self.observe(device, ctx), ctx)

    def observe(self, device: "Device", ctx: CutContext) -> DemoObservation:
        target = device.target
        mark = device.console.mark
        started = time.monotonic()
        p: DemoPrepared = ctx.prepared
        boot, banner = self._expect_boot(device)
        seconds = time.monotonic() - started
        obs = DemoObservation(boot, banner, seconds, "")
        if boot is not None and target.powered:
            base = ctx.campaign.trace.flash_start
            off, size = p.journal_at
            obs.journal_after = target.read_memory(base + off, size)
            for slot in self.slot_regions:
                obs.slots_after[slot] = target.read_memory(p.bases[slot], p.extent(slot, p.slot(ctx.image, slot)))
        if boot is not None and boot.state == "PENDING" and banner is not None:
            obs.trial_boots = self._reset_until_fallback(device)
        obs.transcript = device.console.transcript_since(mark).decode("utf-8", errors="replace")
        if boot is not None and ctx.wants_retry(self._outcome_class(obs)):
            obs.retried = True
            try:
                ctx.retry(device)
                obs.retry_info = device.boot.running()
            except Exception as exc:  # any failure of the retry is what I10 reports
                obs.retry_error = f"{type(exc).__name__}: {exc}"
        return obs

    def _reset_until_fallback(self, device: "Device") -> list[BootLine]:
        """Reset without confirming until something other than a trial runs (I8)."""
        boots: list[BootLine] = []
        for _ in range(self.tries + 1):
            device.target.reset()
            boot, _ = self._expect_boot(device)
            if boot is None:
                break
            boots.append(boot)
            if boot.state != "PENDING":
                break
        return boots

    def _outcome_class(self, obs: DemoObservation) -> tuple:
        boot = obs.boot
        latest = obs.journal.latest if obs.journal is not None else None
        states = tuple(sorted((s, r.state) for s, r in latest.slots.items())) if latest else ()
        return (boot.slot, boot.version, boot.state, boot.tries, boot.rollback, states)

    # -- judging ------------------------------------------------------------------------
    def judge(self, obs: DemoObservation, ctx: CutContext) -> list[Violation]:
        """The violations ``obs`` shows for the cut of ``ctx`` (no emulator needed)."""
        p: DemoPrepared = ctx.prepared
        out: list[Violation] = []

        def fail(invariant: str, message: str) -> None:
            out.append(Violation(invariant, ctx.state.id, message))

        pre_journal = p.journal(ctx.image)
        pre_latest = pre_journal.latest
        pre_floor = pre_latest.floor if pre_latest else 0
        first = ctx.campaign.first_cut_of(ctx.state)
        committed_floor, committed_seq = p.committed[min(first.op, len(p.committed) - 1)]
        floor_so_far = max(committed_floor, pre_floor)

        self._check_fallback_pre(p, ctx, fail)
        self._check_all_or_nothing(p, pre_journal, lambda s: p.slot(ctx.image, s), "in the cut state", fail)
        # The journal never erases the sector that holds its latest record, so
        # every cut state keeps one (the initial state had one).
        self._check_journal(pre_journal, "in the cut state", fail, require_latest=True, committed_seq=committed_seq)

        boot = obs.boot
        if boot is None:
            fail("I1", f"no BOOT line within {self.boot_timeout} s of power-on; console: {_tail(obs.transcript)}")
            return out
        post_journal = obs.journal
        post_latest = post_journal.latest if post_journal else None
        # Before the confirm only the initial floor is legitimate (a floor raised
        # earlier, as the buggy variant B8 does, must not make the fallback count as invalid).
        legit_floor = pre_floor if ctx.marked(self.confirm_mark) else p.initial_floor
        valid = [s for s in self.slot_regions
                 if check_demo_image(p.slot(ctx.image, s), slot_base=p.bases[s], floor=legit_floor) == "OK"]
        if boot.recovery:
            if valid:
                fail("I1", f"the bootloader stayed in RECOVERY ({boot.raw!r}) although slot "
                           f"{', '.join(valid)} holds a valid image")
        else:
            self._check_running(obs, ctx, post_latest, pre_floor, floor_so_far, fail)
        if post_journal is not None:
            read_back = {s: obs.slots_after.get(s, b"") for s in self.slot_regions}
            self._check_all_or_nothing(p, post_journal, lambda s: read_back[s], "after the boot", fail)
            self._check_journal(post_journal, "after the boot", fail, require_latest=not boot.recovery,
                                committed_seq=committed_seq)
            self._check_fallback_post(p, obs, fail)
            if (post_latest is not None and boot.slot is not None and boot.slot != self.new_slot
                    and post_latest.slot(self.new_slot).state == "PENDING"):
                fail("I5", f"the old image runs ({boot.raw!r}) while the journal keeps slot {self.new_slot} PENDING")
        self._check_trial(p, obs, pre_latest, valid, fail)
        if ctx.marked(self.confirm_mark):
            self._check_confirm_survived(boot, post_latest, fail)
        if obs.retried:
            self._check_retry(obs, fail)
            ctx.notes.append("I10 checked (update retried)")
        return out

    def _check_running(self, obs, ctx, post_latest, pre_floor, floor_so_far, fail) -> None:
        p: DemoPrepared = ctx.prepared
        boot = obs.boot
        slot = boot.slot
        if obs.banner is None:
            fail("I1", f"{boot.raw!r} but no app banner within {self.boot_timeout} s; console: {_tail(obs.transcript)}")
        running = obs.slots_after.get(slot, b"")
        verdict = check_demo_image(running, slot_base=p.bases[slot])
        if verdict != "OK":
            fail("I2", f"slot {slot} runs but its read-back image fails validation: {verdict}")
        known = p.known.get(slot, [])
        header = peek_image(running)
        if not any(running[: len(k)] == k for k in known):
            fail("I4", f"slot {slot} runs an image that is none of the known images for it "
                       f"(header version {header.version}, {len(known)} known)")
        sec = header.security_counter
        post_floor = post_latest.floor if post_latest else boot.floor
        if sec is not None and sec < post_floor:
            fail("I3", f"slot {slot} runs with SEC_CNT {sec} below the floor {post_floor}")
        if post_floor < max(p.initial_floor, pre_floor, floor_so_far):
            fail("I3", f"the floor fell to {post_floor} (initial floor {p.initial_floor}, cut state "
                       f"{pre_floor}, committed before the cut {floor_so_far})")
        if sec is not None and sec < floor_so_far:
            fail("I9", f"slot {slot} runs an image with SEC_CNT {sec} although floor {floor_so_far} "
                       "was committed before the cut")
        version = header.version
        if obs.banner is not None and (obs.banner != (boot.version, slot) or obs.banner[0] != version):
            fail("I12", f"the app says v{obs.banner[0]} slot={obs.banner[1]}, the bootloader "
                        f"{boot.version} slot={slot}, the read-back slot {slot} holds {version}")
        elif boot.version != version:
            fail("I12", f"the bootloader says {boot.version} in slot {slot}, the read-back image is {version}")

    def _check_all_or_nothing(self, p: DemoPrepared, journal: Journal, slot_bytes, when: str, fail) -> None:
        latest = journal.latest
        if latest is None:
            return
        for slot in self.slot_regions:
            rec = latest.slot(slot)
            if rec.state not in ("PENDING", "CONFIRMED"):
                continue
            verdict = check_demo_image(slot_bytes(slot), slot_base=p.bases[slot], expected_digest=rec.digest)
            if verdict != "OK":
                fail("I5", f"{when}, the journal says slot {slot} is {rec.state} (v{rec.version}) but it fails "
                           f"validation: {verdict} (half-installed or replaced image)")

    def _check_journal(self, journal: Journal, when: str, fail, *, require_latest: bool, committed_seq: int) -> None:
        valid = journal.valid_records
        if require_latest and not valid:
            fail("I6", f"{when}, no valid journal record (records up to seq {committed_seq} were committed)")
            return
        if valid and max(r.seq for r in valid) < committed_seq:
            fail("I6", f"{when}, the latest valid record has seq {max(r.seq for r in valid)}, but seq "
                       f"{committed_seq} was committed before the cut: records were lost")
        seqs = [r.seq for r in valid]
        repeated = sorted({s for s in seqs if seqs.count(s) > 1})
        if repeated:
            latest = " (the latest: no single latest record)" if repeated[-1] == max(seqs) else ""
            fail("I6", f"{when}, valid records repeat seq {repeated}{latest}")
        for sector in sorted({r.sector for r in valid}):
            in_order = [r.seq for r in valid if r.sector == sector]
            if any(b <= a for a, b in zip(in_order, in_order[1:])):
                fail("I6", f"{when}, seqs in journal sector {sector} do not strictly increase: {in_order}")

    def _check_fallback_pre(self, p: DemoPrepared, ctx: CutContext, fail) -> None:
        if not p.fallback:
            return
        before, now = p.slot(ctx.initial, p.fallback), p.slot(ctx.image, p.fallback)
        if now != before:
            first = next(i for i in range(len(now)) if now[i] != before[i])
            fail("I7", f"the fallback slot {p.fallback} changed during the update "
                       f"(first difference at offset {first:#x})")

    def _check_fallback_post(self, p: DemoPrepared, obs: DemoObservation, fail) -> None:
        if not p.fallback:
            return
        now = obs.slots_after.get(p.fallback, b"")[: len(p.fallback_image)]
        if now != p.fallback_image:
            fail("I7", f"the fallback image in slot {p.fallback} was changed by the boot after the cut")

    def _check_trial(self, p: DemoPrepared, obs: DemoObservation, pre_latest: JournalRecord | None, valid: list[str], fail) -> None:
        boot = obs.boot
        pre = pre_latest.slot(self.new_slot) if pre_latest else None
        left = pre.tries if pre is not None and pre.state == "PENDING" else 0
        if boot.state == "PENDING":
            budget = min(self.tries, left)
            boots = [boot] + obs.trial_boots
            pending = [b for b in boots if b.state == "PENDING"]
            if len(pending) > budget:
                fail("I8", f"slot {boot.slot} booted PENDING {len(pending)} times after the cut without a confirm, "
                           f"but the cut state had {left} tries left (TRIES={self.tries})")
            last = boots[-1]
            if last.state == "PENDING":
                return  # reported above: it never stopped
            if (last.slot, last.rollback) != (p.fallback, "TRIES_EXHAUSTED"):
                fail("I8", f"after the trial ran out of tries the device booted {last.raw!r}; expected the "
                           f"fallback slot {p.fallback} with rollback=TRIES_EXHAUSTED")
            if last.recovery and p.fallback in valid:
                fail("I1", f"after the trial the device stayed in RECOVERY ({last.raw!r}) although the fallback "
                           f"slot {p.fallback} holds a valid image")
        elif pre is not None and pre.state == "PENDING" and left == 0 and boot.slot == p.fallback:
            if boot.rollback != "TRIES_EXHAUSTED":
                fail("I8", f"slot {self.new_slot} had no try left but the fallback booted with "
                           f"rollback={boot.rollback}, not TRIES_EXHAUSTED")

    def _check_confirm_survived(self, boot: BootLine, post_latest: JournalRecord | None, fail) -> None:
        journal_ok = post_latest is not None and post_latest.slot(self.new_slot).state == "CONFIRMED"
        if (boot.slot, boot.state) != (self.new_slot, "CONFIRMED") or not journal_ok:
            state = post_latest.slot(self.new_slot).state if post_latest else "no record"
            fail("I11", f"the confirm was ACKed before this cut, but the device booted {boot.raw!r} and the "
                        f"journal says slot {self.new_slot} is {state}")

    def _check_retry(self, obs: DemoObservation, fail) -> None:
        if obs.retry_error:
            fail("I10", f"retrying the update after the cut failed: {obs.retry_error}")
            return
        info = obs.retry_info
        if self.hostile:
            if info is None or info.slot == self.new_slot or info.state != "CONFIRMED":
                fail("I10", f"after retrying the attack the device runs {info.raw if info else 'nothing'!r}, "
                            "not the old image CONFIRMED")
            return
        if info is None or (info.slot, info.version, info.state) != (self.new_slot, self.new_version, "CONFIRMED"):
            fail("I10", f"after retrying the update the device runs {info.raw if info else 'nothing'!r}, "
                        f"not v{self.new_version} CONFIRMED in slot {self.new_slot}")
