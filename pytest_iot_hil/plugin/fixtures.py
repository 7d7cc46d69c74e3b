"""The fixtures a test asks for: ``hil_target``, ``console``, ``boot``, ``ota``, ``power``,
``hil_run`` (and ``hil_booted_target``, the shared target behind ``hil_target``)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Iterator

import pytest

from ..errors import HilConfigError

if TYPE_CHECKING:
    from ..console import Console
    from ..power import Power
    from ..protocols.boot import BootObserver
    from ..protocols.target import Target
    from ..protocols.update import Progress, UpdateClient
from .reporting import TRANSCRIPTS_KEY
from .run import HilRun, get_run

#: How many tests each live target served (weak: a target lives for its scope).
_SERVED_KEY = pytest.StashKey[weakref.WeakKeyDictionary]()

_SKIP_REASON = "hardware-in-the-loop test: run pytest with --hil (or set hil = true / PYTEST_HIL=1) to enable"


def _run(request: pytest.FixtureRequest) -> HilRun:
    run = get_run(request.config)
    if run is None:
        pytest.skip(_SKIP_REASON)
    if run.skip_reason:
        pytest.skip(run.skip_reason)
    return run


def _target_scope(fixture_name: str, config: pytest.Config) -> str:
    run = get_run(config)
    return run.options.scope if run else "function"


@pytest.fixture(scope="session")
def hil_run(request: pytest.FixtureRequest) -> HilRun:
    """The run's resolved options, target description and firmware."""
    return _run(request)


@pytest.fixture(scope=_target_scope)
def hil_booted_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """A started target, shared according to ``--hil-scope`` (default: per test).

    Prefer ``hil_target``, which also resets a shared target between tests.
    """
    run = _run(request)
    target = run.make_target(run.options.log_dir)
    try:
        target.start(run.firmware)
        yield target
    finally:
        target.close()


def _discard_unread(target: Target) -> None:
    port = target.console_port()
    try:
        port.reset_input_buffer()
    except Exception:  # a port that cannot: the next console reads it, as before
        pass


@pytest.fixture
def hil_target(request: pytest.FixtureRequest, hil_booted_target: Target) -> Target:
    """The target under test, freshly booted (or reset, when it is shared)."""
    run = _run(request)
    target = hil_booted_target
    served_counts = request.config.stash.setdefault(_SERVED_KEY, weakref.WeakKeyDictionary())
    served = served_counts.get(target, 0)
    if served:
        if not target.powered:
            # The previous test left it off: its switch brings it back.
            _switch(request, target).on()
        else:
            # Output the previous test left unread belongs to it, not to this one.
            _discard_unread(target)
            target.reset()
    served_counts[target] = served + 1
    for prop in run.properties() + sorted(target.properties().items()):
        if prop not in request.node.user_properties:
            request.node.user_properties.append(prop)
    return target


def _made(make, *args):
    """``make(*args)``; a configuration error fails the test with its one line (no chained traceback)."""
    try:
        return make(*args), None
    except HilConfigError as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)


def _switch(request: pytest.FixtureRequest, target: Target):
    return _made(_run(request).parts.power, target)[0]


@pytest.fixture
def console(request: pytest.FixtureRequest, hil_target: Target) -> Iterator[Console]:
    """The target's UART console with pexpect's API; its transcript goes to the report."""
    run = _run(request)
    log_path = run.log_path_for(request.node.nodeid)
    log_path.unlink(missing_ok=True)
    con = run.parts.console(hil_target, timeout=run.options.timeout, log_path=log_path,
                            transcript_limit=run.options.transcript_limit)
    try:
        yield con
    finally:
        if run.options.scope != "function" and hil_target.powered:
            con.discard_pending()  # into this test's transcript, not the next one's
        con.close()
        request.node.stash.setdefault(TRANSCRIPTS_KEY, []).append((con.name, con.transcript, log_path))


def _terminal_progress(config: pytest.Config):
    """Progress lines in pytest's terminal for transfers that take over a second."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    shown = {"at": 0.0}

    def show(progress: Progress) -> None:
        done = progress.sent >= progress.total
        if reporter is None or progress.elapsed < 1.0 or (not done and progress.elapsed - shown["at"] < 0.5):
            return
        shown["at"] = progress.elapsed
        line = (f"ota: {progress.sent / 1024:.1f}/{progress.total / 1024:.1f} KiB "
                f"({100 * progress.sent // max(progress.total, 1)}%) at {progress.rate / 1024:.1f} KiB/s")
        if capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)
        else:
            reporter.write_line(line)

    return show


@pytest.fixture
def boot(request: pytest.FixtureRequest, hil_target: Target, console: Console) -> BootObserver:
    """What the device says about its boots (the device profile's boot observer):
    ``wait_for_boot()``, ``running()``, ``history(text)``."""
    return _made(_run(request).parts.require_boot_observer, hil_target, console)[0]


@pytest.fixture
def ota(request: pytest.FixtureRequest, hil_target: Target, console: Console) -> Iterator[UpdateClient]:
    """The update client for the target (its device profile's, or what a plugin provides)."""
    client = _made(_run(request).parts.update_client, hil_target, console)[0]
    client.on_progress(_terminal_progress(request.config))
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()


@pytest.fixture
def power(request: pytest.FixtureRequest, hil_target: Target) -> Iterator[Power]:
    """Power control of the target: ``off()``, ``on()``, ``cycle()``, ``cut_at(trigger)``.

    Each cut's trigger and its delay from trigger to power off go into the
    test's JUnit properties (``hil_power_cut_N``); the switch is released
    (``close()``) after the test.
    """
    from ..power import Power

    switch = _switch(request, hil_target)
    power = Power(
        switch, hil_target,
        console=lambda: request.getfixturevalue("console"),
        update_client=lambda: request.getfixturevalue("ota"),
    )
    try:
        yield power
    finally:
        for i, cut in enumerate(power.cuts):
            if cut.happened:
                delay = "" if cut.delay_s is None else f", off {cut.delay_s * 1000:.1f} ms after the trigger"
                request.node.user_properties.append(
                    (f"hil_power_cut_{i}", f"{cut.trigger.description} at {cut.at:.3f} s{delay}"))
        for key, value in sorted(switch.properties().items()):
            if (key, value) not in request.node.user_properties:
                request.node.user_properties.append((key, value))
        switch.close()
