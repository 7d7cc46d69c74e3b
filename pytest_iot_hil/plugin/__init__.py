"""The pytest plugin (``pytest11`` entry point ``iot_hil``).

Inert without ``--hil``: it registers its options, markers and hookspecs, and
skips tests marked ``hil``; nothing else about a pytest run changes.
"""

from __future__ import annotations

import sys

import pytest

from ..errors import HilConfigError
from . import hookspecs, options
from .fixtures import boot, console, hil_booted_target, hil_run, hil_target, ota, power  # noqa: F401  (fixtures)
from .outputs import check_output_dir
from .reporting import enable_junit_system_out, transcript_sections
from .run import RUN_KEY, HilRun, builtin_targets, get_run

_MARKERS = (
    "hil: hardware-in-the-loop test; runs only with --hil. "
    "hil(target=NAME) pins it to a target name or backend kind (e.g. target='qemu').",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.addoption(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    for marker in _MARKERS:
        config.addinivalue_line("markers", marker)
    if getattr(config.option, "hil_leases", False):
        return   # only showing the leases: lease nothing, start nothing
    try:
        opts = options.read(config)
        if not opts.enabled:
            return
        check_output_dir(opts.log_dir, "--hil-log-dir / hil_log_dir")
        run = config.stash[RUN_KEY] = HilRun.from_config(config, opts)
        config.hook.pytest_hil_run_target(config=config, description=run.description)
    except HilConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    from ..processes import remove_stale_scratch_dirs

    remove_stale_scratch_dirs()
    enable_junit_system_out(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = get_run(config)
    if run is not None:
        run.release()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``pytest --hil-leases``: who holds which board of the inventory (then exit, like ``--markers``)."""
    if not getattr(config.option, "hil_leases", False):
        return None
    from ..inventory import Inventory
    from ..leases import LeaseDir

    try:
        opts = options.read(config) if config.option.hil else None
        path = (opts.config_path if opts else None) or (config.rootpath / "hil.toml")
        lease_dir = LeaseDir(opts.lease_dir if opts and opts.lease_dir else (
            config.option.hil_lease_dir or config.getini("hil_lease_dir") or None))
        inventory = Inventory.load(path if path.is_file() else None, builtin_targets(config))
        lines = [f"board leases in {lease_dir.path}:"]
        for name, d in inventory.targets.items():
            holder = lease_dir.holder(name)
            tags = ", ".join(f"{k}={v}" for k, v in d.tags.items())
            state = f"held by {holder.describe()}" if holder else "free"
            lines.append(f"  {name:<24} {state}" + (f"  [{tags}]" if tags else ""))
    except HilConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return pytest.ExitCode.USAGE_ERROR
    print("\n".join(lines))
    return pytest.ExitCode.OK


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = get_run(config)
    if run is None:
        return None
    d = run.description
    fw = f"{run.firmware.path} (sha256 {run.firmware.sha256[:16]}…)" if run.firmware else "none (keep flash)"
    lines = []
    if run.lease is not None:
        lines.append(f"hil: leased board {run.lease.board} ({run.lease.path})")
    elif run.skip_reason:
        lines.append(f"hil: {run.skip_reason}")
    elif run.options.boards:
        lines.append(f"hil: each worker leases a board matching {' '.join(run.options.boards)}")
    return lines + [
        f"hil: target {d.name} (backend {d.backend}, from {d.source}), scope {run.options.scope}",
        f"hil: firmware {fw}",
        f"hil: transcripts in {run.options.log_dir}",
    ]


def _pinned_target(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("hil")
    if marker is None:
        return None
    return marker.kwargs.get("target") or (marker.args[0] if marker.args else None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = get_run(config)
    for item in items:
        if item.get_closest_marker("hil") is None:
            continue
        if run is None:
            item.add_marker(pytest.mark.skip(reason="hardware-in-the-loop test: run pytest with --hil to enable"))
            continue
        if run.skip_reason:
            item.add_marker(pytest.mark.skip(reason=run.skip_reason))
            continue
        pinned = _pinned_target(item)
        if pinned and pinned not in (run.description.name, run.description.backend):
            item.add_marker(
                pytest.mark.skip(
                    reason=f"pinned to target {pinned!r}; this run uses {run.description.name!r} "
                    f"(backend {run.description.backend!r}): choose it with --hil-target"
                )
            )


def pytest_sessionfinish(session: pytest.Session) -> None:
    # A worker killed with SIGKILL cannot clean up; its QEMU died with it
    # (parent-death signal) and its scratch directory goes here.
    if get_run(session.config) is not None and not hasattr(session.config, "workerinput"):
        from ..processes import remove_stale_scratch_dirs

        remove_stale_scratch_dirs()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if call.when == "teardown":
        # The teardown report is the one junitxml turns into <system-out>.
        report.sections.extend(transcript_sections(item))
    return report
