"""On-target unit tests as pytest items (``pytest11`` entry point ``iot_hil_unit``).

A test image named in a test module::

    @pytest.mark.hil_unit(firmware="build/tests.elf", framework="unity")
    def test_on_target():
        "The cases of build/tests.elf, one item each (this body is not run)."

or by the ini option ``hil_unit_images`` (one ``GLOB [framework]`` a line,
relative to the rootdir, for images in a directory pytest collects) is
booted once per run on the run's target; its UART output is parsed as it
streams (``parsers.py``, ``run.py``) and every case becomes an item,
``test_x.py::<image>::<suite>::<case>``, with its own outcome, duration,
message and source location, plus ``<image>::summary`` for the framework's
own count. ``-k``, ``--lf``, ``-x``, markers, xdist and JUnit work on them
like on any test.

xdist: every worker collects every image, and one boot of each image per run
is shared by all of them: the first process to take the image's lock (in
pytest's cache dir) records the run, the others read it. Case names come
from that run and from the ELF (``elf.py``), so a case that never ran
still is an item ("not run: ...").
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import pytest

from ..errors import HilConfigError, HilError
from ..plugin.run import get_run, run_id

MARKER = "hil_unit"
_DEFAULT_CASE_TIMEOUT = 10.0
_TOTAL_TIMEOUT = 600.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil")
    group.addoption("--hil-unit-timeout", metavar="SECONDS", type=float, default=None,
                    help="on-target unit tests: a case that prints nothing for this long fails as hung "
                    f"(default {_DEFAULT_CASE_TIMEOUT:g}; a marker's case_timeout= wins) (ini: hil_unit_timeout)")
    parser.addini("hil_unit_timeout", "seconds a case may stay silent (same as --hil-unit-timeout)", default="")
    parser.addini("hil_unit_images", "on-target test images to collect, one 'GLOB [framework]' a line "
                  "(relative to the rootdir; framework: unity, unity-fixture or ztest, default unity)", type="linelist")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(firmware=PATH, framework='unity'|'unity-fixture'|'ztest', case_timeout=SECONDS): "
        "the cases of an on-target test image, one item each (runs only with --hil)",
    )


# -- collection ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ImageSpec:
    path: Path
    framework: str
    case_timeout: float | None = None


def _spec_from_marker(marker: pytest.Mark, base: Path) -> ImageSpec:
    from .parsers import FRAMEWORKS

    unknown = set(marker.kwargs) - {"firmware", "framework", "case_timeout"}
    firmware = marker.kwargs.get("firmware", marker.args[0] if marker.args else None)
    framework = marker.kwargs.get("framework", "unity")
    if unknown or not isinstance(firmware, (str, os.PathLike)):
        raise HilConfigError(f"@pytest.mark.{MARKER} needs firmware=PATH (and may take framework=, case_timeout=); "
                             f"unknown: {', '.join(sorted(unknown)) or 'none'}")
    if framework not in FRAMEWORKS:
        raise HilConfigError(f"@pytest.mark.{MARKER}: framework={framework!r} is not one of {', '.join(FRAMEWORKS)}")
    timeout = marker.kwargs.get("case_timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise HilConfigError(f"@pytest.mark.{MARKER}: case_timeout={timeout!r} must be a positive number of seconds")
    path = Path(firmware)
    return ImageSpec(path if path.is_absolute() else base / path, framework, timeout)


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    declared = getattr(obj, "pytestmark", [])
    declared = declared if isinstance(declared, list) else [declared]
    marks = [getattr(m, "mark", m) for m in declared if getattr(m, "name", None) == MARKER]
    if not marks or not callable(obj):
        return None
    run = get_run(collector.config)
    if run is None or run.skip_reason:
        return UnitDisabled.from_parent(collector, name=name, reason=run.skip_reason if run else None)
    try:
        spec = _spec_from_marker(marks[0], collector.path.parent)
    except HilConfigError as exc:
        return UnitBroken.from_parent(collector, name=name, problem=str(exc))
    code = getattr(obj, "__code__", None)
    return UnitImage.from_parent(collector, name=spec.path.stem, spec=spec,
                                 lineno=code.co_firstlineno - 1 if code is not None else 0)


def _ini_images(config: pytest.Config) -> list[tuple[str, str]]:
    out = []
    for line in config.getini("hil_unit_images"):
        words = line.split()
        if words:
            out.append((words[0], words[1] if len(words) > 1 else "unity"))
    return out


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    config = parent.config
    for glob, framework in _ini_images(config):
        pattern = glob if os.path.isabs(glob) else str(config.rootpath / glob)
        if fnmatch.fnmatch(str(file_path), pattern):
            run = get_run(config)
            if run is None or run.skip_reason:
                return UnitImageFile.from_parent(parent, path=file_path, spec=None)
            return UnitImageFile.from_parent(parent, path=file_path, spec=ImageSpec(file_path, framework))
    return None


class _ImageCollector:
    """What an image's collector does: run it once (shared), then yield suites and the summary."""

    spec: ImageSpec

    def _collect_image(self) -> Iterator[pytest.Node]:
        try:
            image_run = _record(self.config, self.spec)
        except HilError as exc:
            yield UnitBroken.from_parent(self, name="run", problem=f"{self.spec.path}: {exc}")
            return
        suites: dict[str, list] = {}
        for case in image_run.cases:
            suites.setdefault(case.suite, []).append(case)
        for suite, cases in suites.items():
            yield UnitSuite.from_parent(self, name=suite, cases=cases, image_run=image_run)
        yield UnitSummary.from_parent(self, name="summary", image_run=image_run)


class UnitImage(_ImageCollector, pytest.Collector):
    def __init__(self, *, spec: ImageSpec, lineno: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        #: Where the marker is (0-based): the items report there, having no Python source.
        self.lineno = lineno

    def collect(self):
        yield from self._collect_image()


class UnitImageFile(_ImageCollector, pytest.File):
    def __init__(self, *, spec: ImageSpec | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def collect(self):
        if self.spec is None:
            run = get_run(self.config)
            yield UnitDisabled.from_parent(self, name=self.path.stem, reason=run.skip_reason if run else None)
            return
        yield from self._collect_image()


class UnitSuite(pytest.Collector):
    def __init__(self, *, cases, image_run, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cases = cases
        self.image_run = image_run

    def collect(self):
        for case in self.cases:
            yield UnitCase.from_parent(self, name=case.name, case=case, image_run=self.image_run)


# -- items ------------------------------------------------------------------------------------


class UnitCaseFailed(Exception):
    """A case failed on the target (its message is the report)."""


class UnitCase(pytest.Item):
    def __init__(self, *, case, image_run, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.image_run = image_run
        if case.location:
            self.user_properties.append(("hil_unit_source", case.location))
        self.user_properties.append(("hil_unit_framework", image_run.framework))

    def setup(self) -> None:
        from .run import NOT_RUN

        if self.case.outcome == NOT_RUN:
            # An error at set-up (the case never ran), with the reason and no traceback.
            pytest.fail(f"{self.parent.parent.name}::{self.case.suite}::{self.case.name}: {self.case.message}",
                        pytrace=False)

    def runtest(self) -> None:
        from .run import FAILED, SKIPPED

        case = self.case
        if case.outcome == SKIPPED:
            # Reported at the item (the case on the target), not at this line of the plugin.
            raise pytest.skip.Exception(f"{case.location + ': ' if case.location else ''}"
                                        f"{case.message or 'skipped on the target'}", _use_item_location=True)
        if case.outcome == FAILED:
            raise UnitCaseFailed(f"{case.location + ': ' if case.location else ''}{case.message or 'failed'}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, UnitCaseFailed):
            return f"{self.parent.parent.name}::{self.case.suite}::{self.case.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        where = f" ({self.case.location})" if self.case.location else ""
        # There is no Python source for a case: it is reported at the marker that names its image.
        return (self.path, getattr(self.parent.parent, "lineno", 0),
                f"{self.parent.parent.name}::{self.case.suite}::{self.case.name}{where}")


class UnitSummary(pytest.Item):
    """The framework's own account agrees with the cases seen (and the run ended normally)."""

    def __init__(self, *, image_run, **kwargs) -> None:
        super().__init__(**kwargs)
        self.image_run = image_run

    def runtest(self) -> None:
        if self.image_run.summary_problem:
            raise UnitCaseFailed(self.image_run.summary_problem)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, UnitCaseFailed):
            return f"{self.parent.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, getattr(self.parent, "lineno", 0), f"{self.parent.name}::summary"


class UnitBroken(pytest.Item):
    """An image that could not be collected: one failing item with the one-line reason."""

    def __init__(self, *, problem: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        raise UnitCaseFailed(self.problem)

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value) if isinstance(excinfo.value, UnitCaseFailed) else super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, self.name


class UnitDisabled(pytest.Item):
    def __init__(self, *args, reason: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reason = reason or "on-target unit tests: run pytest with --hil to enable (hardware-in-the-loop)"

    def runtest(self) -> None:
        pytest.skip(self.reason)

    def reportinfo(self):
        return self.path, 0, self.name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if isinstance(item, UnitCase) and call.when == "call" and item.case.seconds is not None:
        report.duration = item.case.seconds  # the case's time on the target, not the host's
    if isinstance(item, UnitSummary) and call.when == "teardown" and item.image_run.transcript:
        report.sections.append((f"Captured stdout {item.parent.name} console", item.image_run.transcript))
    return report


# -- one recorded run per image and pytest run, shared by xdist workers -----------------------


def _cache_dir(config: pytest.Config) -> Path:
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("hil-unit"))
    run = get_run(config)
    return (run.options.log_dir if run else config.rootpath / "hil-logs") / "unit-cache"


def _sweep(directory: Path, keep: str, max_age: float = 3600.0) -> None:
    """Remove the recorded runs of earlier pytest runs (an hour old: a concurrent run keeps its own)."""
    now = time.time()
    for entry in directory.iterdir() if directory.is_dir() else ():
        try:
            if entry.is_dir() and entry.name != keep and now - entry.stat().st_mtime > max_age:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def _record(config: pytest.Config, spec: ImageSpec):
    from ..locks import file_lock
    from .run import ImageRun

    this_run = run_id(config)
    if not spec.path.is_file():
        raise HilConfigError("the test image does not exist: build it, or fix firmware= / hil_unit_images")
    timeout = spec.case_timeout or _case_timeout(config)
    digest = hashlib.sha256(spec.path.read_bytes()).hexdigest()
    hil = get_run(config)
    key = hashlib.sha256(json.dumps([digest, spec.framework, timeout, hil.description.name]).encode()).hexdigest()[:20]
    root = _cache_dir(config)
    directory = root / this_run
    if not hasattr(config, "workerinput"):
        _sweep(root, this_run)
    result = directory / f"{spec.path.stem}-{key}.json"
    with file_lock(directory / f"{spec.path.stem}-{key}.lock"):
        if result.is_file():
            return ImageRun.from_json(json.loads(result.read_text()))
        image_run = _boot_and_run(hil, spec, timeout)
        tmp = result.with_suffix(".tmp")
        tmp.write_text(json.dumps(image_run.to_json()))
        tmp.replace(result)
        return image_run


def _case_timeout(config: pytest.Config) -> float:
    value = config.getoption("hil_unit_timeout", default=None)
    if value is None:
        text = config.getini("hil_unit_timeout")
        try:
            value = float(text) if text else _DEFAULT_CASE_TIMEOUT
        except ValueError:
            raise HilConfigError(f"hil_unit_timeout = {text!r} must be a number of seconds") from None
    if not value > 0:
        raise HilConfigError(f"--hil-unit-timeout / hil_unit_timeout = {value!r} must be a positive number of seconds")
    return float(value)


def _boot_and_run(hil, spec: ImageSpec, case_timeout: float):
    from ..firmware import FirmwareImage
    from .elf import Symbolizer, list_cases
    from .parsers import FRAMEWORKS
    from .run import DevicePatterns, run_image

    description = hil.description
    firmware = FirmwareImage.load(spec.path, load_address=description.load_address)
    firmware.check_fits(description.flash, [r for r in description.regions if not r.nonvolatile],
                        f"target {description.name!r} ({description.source})")
    patterns = hil.config.hook.pytest_hil_unit_patterns(config=hil.config, description=description) or DevicePatterns()
    log = hil.options.log_dir / "unit" / f"{spec.path.stem}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    target = hil.parts.target(description)
    console = None
    try:
        target.start(firmware)
        console = hil.parts.console(target, timeout=case_timeout, log_path=log,
                                    transcript_limit=hil.options.transcript_limit)
        image_run = run_image(console, FRAMEWORKS[spec.framework](),
                              listing=lambda suites: list_cases(spec.path, spec.framework, suites),
                              patterns=patterns, symbolizer=Symbolizer(spec.path), case_timeout=case_timeout,
                              total_timeout=_TOTAL_TIMEOUT, image=str(spec.path), framework=spec.framework)
        return image_run
    finally:
        if console is not None:
            console.close()
        target.close()
