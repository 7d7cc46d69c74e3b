"""pytest integration: every cut of a campaign is a test item.

A pytest plugin of its own (entry point ``iot_hil_campaign``)::

    @pytest.mark.hil_campaign(procedure=MyUpdate(), oracle=MyOracle(), cuts="boundaries", depth=1)
    def test_update_survives_power_cuts(power_cut):
        power_cut.check()

* Collection traces the procedure once (cached under pytest's cache dir,
  keyed by target, firmware and procedure, behind a file lock so xdist
  workers record it once and all find the same cut ids) and parametrizes
  ``power_cut`` with one item per distinct state, e.g.
  ``test_x[cut-0412-program-slot_b]`` or ``test_x[cut-0007-program-journal-torn]``.
* Every process boots its cuts in one reused emulator (``hil_campaign_runner``).
* Without ``--hil`` the test is one skipped item.
* A failure names the broken invariants, the command that reproduces the
  cut and where its flash image was saved.

Marker arguments: ``procedure``, ``oracle`` (required, or a ``Campaign``
as the only positional argument), ``retry``, ``critical_regions``,
``geometry``, ``seed``, ``firmware``, ``name``, and ``cuts``/``depth``.
The command line (``--hil-campaign-cuts``/``--hil-campaign-depth``) wins
over the marker, which wins over the ini values.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

from ..errors import HilError
from ..plugin.run import get_run, run_id

# Everything else of the campaign is imported where it is used: this module is
# loaded (entry point) by every pytest run, most of them without --hil.
if TYPE_CHECKING:  # pragma: no cover
    from ..firmware import FirmwareImage
    from ..plugin.run import HilRun
    from .cache import TraceCache
    from .load import Campaign, LoadedCampaign
    from .options import CampaignOptions
    from .powercut import PowerCut
    from .runner import CampaignRunner

MARKER = "hil_campaign"
PLUGIN_NAME = "iot_hil_campaign"
SESSION_KEY = pytest.StashKey["CampaignSession"]()
OUTCOMES_KEY = pytest.StashKey["Outcomes"]()


def ensure_registered(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register this plugin unless its entry point already did (for conftests, until it is installed)."""
    import sys

    module = sys.modules[__name__]
    if not pluginmanager.is_registered(module):
        pluginmanager.register(module, PLUGIN_NAME)


def pytest_addoption(parser: pytest.Parser) -> None:
    from .options import addoption

    addoption(parser)


# -- the per-process session ---------------------------------------------------------------


class CampaignSession:
    """Loaded campaigns of this pytest process, by the token their items carry."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.loaded: dict[str, tuple[LoadedCampaign, CampaignOptions]] = {}
        self.timelines: dict[str, Path] = {}

    def cache(self, run: HilRun) -> TraceCache:
        from .cache import TraceCache

        cache = getattr(self.config, "cache", None)
        directory = cache.mkdir("hil-campaign") if cache is not None else run.options.log_dir / "campaign-cache"
        return TraceCache(Path(directory))

    def firmware(self, run: HilRun, campaign: Campaign) -> FirmwareImage | None:
        from ..firmware import FirmwareImage

        if campaign.firmware is not None:
            return FirmwareImage.load(campaign.firmware, load_address=run.description.load_address)
        return run.firmware

    def device_opener(self, run: HilRun, firmware: FirmwareImage | None, log_name: str):
        """Opens a started device: the run's target, its profile's update client and boot observer."""
        log_path = run.options.log_dir / "campaign" / log_name
        return run.parts.device_opener(run.description, firmware, log_path=_fresh(log_path),
                                       timeout=run.options.timeout)

    def load(self, run: HilRun, campaign: Campaign, options: CampaignOptions) -> tuple[str, LoadedCampaign]:
        from . import load as campaign_module

        firmware = self.firmware(run, campaign)
        sha256 = firmware.sha256 if firmware else None
        token = campaign_token(campaign, campaign.key(run.description, sha256), options)
        if token not in self.loaded:
            cache = self.cache(run)
            loaded = campaign_module.load_campaign(
                campaign, run.description, firmware_sha256=sha256, cache=cache,
                open_device=self.device_opener(run, firmware, f"trace-{campaign.label}.log"),
                selection=options.cuts, depth=options.depth, run_id=run_id(self.config),
            )
            self.loaded[token] = (loaded, options)
            what = f"{options.cuts}-d{options.depth}.timeline.json".replace(":", "_")
            self.timelines[token] = cache.write_json(loaded.key, what, loaded.timeline())
        return token, self.loaded[token][0]


def campaign_token(campaign: Campaign, key: str, options: CampaignOptions) -> str:
    """What the items of one campaign carry: its trace key, the cuts and depth, and what judges them.

    The key names target, firmware, procedure (with its image) and geometry;
    campaigns that differ only in how they judge (another oracle instance,
    seed, critical regions or retry) share the trace but not the loaded campaign.
    """
    from .load import callable_identity

    judging = f"{id(campaign.oracle)}:{campaign.seed}:{campaign.critical_regions}:{callable_identity(campaign.retry)}"
    return f"{key}:{options.cuts}:{options.depth}:{hashlib.sha256(judging.encode()).hexdigest()[:12]}"


def _fresh(path: Path) -> Path:
    """``path`` with its directory made and last run's file removed (the console appends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    return path


def _session(config: pytest.Config) -> CampaignSession:
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        session = config.stash[SESSION_KEY] = CampaignSession(config)
    return session


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(procedure=..., oracle=..., cuts='boundaries', depth=1, ...): a power-cut campaign; "
        "the test takes the `power_cut` fixture and becomes one item per cut (runs only with --hil)",
    )
    if not _hil_enabled(config):
        return
    check_options(config)
    from . import report

    config.stash[OUTCOMES_KEY] = report.Outcomes()
    config.pluginmanager.register(_OutcomeCollector(config), f"{PLUGIN_NAME}-outcomes")


def check_options(config: pytest.Config) -> None:
    """The campaign options of the command line and the ini file, checked whether or not a campaign is collected."""
    from ..plugin.outputs import check_output_dir
    from .errors import CampaignConfigError
    from .options import resolve_options

    try:
        options = resolve_options(config)
    except CampaignConfigError as exc:
        raise pytest.UsageError(f"--hil-campaign-* / hil_campaign_* options: {exc}") from None
    if options.export is not None:
        try:
            check_output_dir(options.export, "--hil-campaign-export / hil_campaign_export")
        except HilError as exc:
            raise pytest.UsageError(str(exc)) from None


def _hil_enabled(config: pytest.Config) -> bool:
    """Whether this run has --hil (the main plugin may make its HilRun after this hook ran)."""
    if get_run(config) is not None:
        return True
    from ..plugin import options as hil_options

    try:
        return hil_options.read(config).enabled
    except HilError:
        return False  # the main plugin reports it


# -- collection ----------------------------------------------------------------------


def campaign_from_marker(marker: pytest.Mark) -> Campaign:
    from .load import Campaign
    from .errors import CampaignConfigError

    campaign_args = {f.name for f in dataclasses.fields(Campaign)}
    kwargs = {k: v for k, v in marker.kwargs.items() if k not in ("cuts", "depth")}
    if marker.args:
        if len(marker.args) == 1 and isinstance(marker.args[0], Campaign) and not kwargs:
            return marker.args[0]
        raise CampaignConfigError(
            f"@pytest.mark.{MARKER} takes a Campaign as its only positional argument, or keyword arguments "
            f"({', '.join(sorted(campaign_args | {'cuts', 'depth'}))})"
        )
    unknown = set(kwargs) - campaign_args
    if unknown or "procedure" not in kwargs or "oracle" not in kwargs:
        raise CampaignConfigError(
            f"@pytest.mark.{MARKER} needs procedure= and oracle=; unknown argument(s): "
            f"{', '.join(sorted(unknown)) or 'none'} (allowed: {', '.join(sorted(campaign_args | {'cuts', 'depth'}))})"
        )
    return Campaign(**kwargs)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None or "power_cut" not in metafunc.fixturenames:
        return
    run = get_run(metafunc.config)
    if run is None or run.skip_reason:
        return  # one item, skipped by the fixture
    from .options import resolve_options

    try:
        campaign = campaign_from_marker(marker)
        options = resolve_options(metafunc.config, marker.kwargs.get("cuts"), marker.kwargs.get("depth"))
        token, loaded = _session(metafunc.config).load(run, campaign, options)
    except HilError as exc:  # configuration errors (HilConfigError) included
        pytest.fail(f"power-cut campaign of {metafunc.definition.nodeid}: {exc}", pytrace=False)
    states = loaded.states(options.cuts, options.depth)
    metafunc.parametrize("power_cut", [(token, s.id) for s in states], ids=[s.id for s in states], indirect=True)


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hil_campaign_runner(request: pytest.FixtureRequest) -> Iterator[CampaignRunner]:
    """One emulator for every cut this process runs (closed at the end of the session)."""
    from .options import resolve_options
    from .runner import CampaignRunner

    run = get_run(request.config)
    if run is None:
        pytest.skip("power-cut campaign: run pytest with --hil to enable")
    if run.skip_reason:
        pytest.skip(run.skip_reason)
    options = resolve_options(request.config)
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    opener = _session(request.config).device_opener(run, run.firmware, f"cuts-{worker}.log")
    with opener() as device:
        yield CampaignRunner(device, retry=options.retry)


@pytest.fixture
def power_cut(request: pytest.FixtureRequest) -> PowerCut:
    """The cut this item stands for (parametrized by the ``hil_campaign`` marker)."""
    param = getattr(request, "param", None)
    if param is None:
        run = get_run(request.config)
        if run is None:
            pytest.skip("power-cut campaign: run pytest with --hil to enable (hardware-in-the-loop)")
        if run.skip_reason:
            pytest.skip(run.skip_reason)
        pytest.fail(f"`power_cut` needs @pytest.mark.{MARKER}(procedure=..., oracle=...) on the test", pytrace=False)
    from .powercut import PowerCut

    token, cut_id = param
    session = _session(request.config)
    loaded, options = session.loaded[token]
    runner = request.getfixturevalue("hil_campaign_runner")
    return PowerCut(request.node, loaded, loaded.state(cut_id), options, runner, get_run(request.config),
                    session.timelines.get(token))


# -- reporting (runs on the xdist controller too) -----------------------------------------


class _OutcomeCollector:
    """Collects cut outcomes from reports and writes the report (one per pytest config)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.config.stash[OUTCOMES_KEY].add_report(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = self.config
        outcomes = config.stash[OUTCOMES_KEY]
        if hasattr(config, "workerinput") or not outcomes.by_test:
            return
        xmlpath = getattr(config.option, "xmlpath", None)
        run = get_run(config)
        if xmlpath:
            directory = Path(xmlpath).absolute().parent
        elif run is not None:
            directory = run.options.log_dir
        else:
            directory = config.rootpath / "hil-logs"
        outcomes.write(directory)

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config: pytest.Config) -> None:
        outcomes = config.stash[OUTCOMES_KEY]
        if not outcomes.by_test or hasattr(config, "workerinput"):
            return
        terminalreporter.section("power-cut campaign")
        for line in outcomes.summary_lines():
            terminalreporter.write_line(line)
