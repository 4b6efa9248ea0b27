"""The scoring program of a bundle: submitkit's source plus wheels for the image's Python.

Codabench runs the program in a fresh container of the competition's image,
possibly with the network off (``COMPETITION_CONTAINER_NETWORK_DISABLED``), and
removes the container afterwards: whatever is installed at scoring time is
installed again for every submission. So nothing is installed there. The
program carries a wheel of every distribution submitkit needs, for the image's
Python and platform, chosen at bundle time; its launcher unpacks them into a
temporary folder (a wheel is a zip: no pip, no network) and runs
``submitkit score``.

The distributions are derived, not listed: submitkit's declared requirements,
their requirements in turn, with markers evaluated for the image's Python and
platform, each pinned to the version installed here (the one the organiser
rehearsed with). A dependency added to pyproject is vendored without a change
here. A pin the image's Python cannot install is refused before anything is
written.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

import submitkit
from submitkit._version import __version__
from submitkit.benchmark.protocols import PROTOCOL_TITLES, Protocol
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.workflows.competition_yaml import dump_yaml

LAUNCHER = "score.py"
WHEELS = "wheels"
EXIT_CANNOT_START = 3
"""The launcher's exit code when the program cannot start (wrong Python, missing wheel)."""
OLDEST_PYTHON = (3, 10)
DEBIAN_GLIBC = (2, 36)
"""glibc of the Debian release (bookworm) behind the official ``python:3.X`` images."""
_PYTHON_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(\d+)\.(\d+)(?:[.\-]|$)")


@dataclass(frozen=True)
class TargetPython:
    """The Python and platform the scoring program runs on."""

    version: tuple[int, int]
    glibc: tuple[int, int] = DEBIAN_GLIBC
    machine: str = "x86_64"

    @property
    def dotted(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def marker_environment(self) -> dict[str, str]:
        """What PEP 508 markers see inside the image (CPython on Linux)."""
        return {
            "python_version": self.dotted,
            "python_full_version": f"{self.dotted}.0",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "implementation_version": f"{self.dotted}.0",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_release": "",
            "platform_version": "",
            "extra": "",
        }

    def pip_platforms(self) -> list[str]:
        """Every manylinux tag the image's glibc accepts (pip does not widen them itself)."""
        major, newest = self.glibc
        tags = [f"manylinux_{major}_{minor}_{self.machine}" for minor in range(5, newest + 1)]
        return [*tags, f"manylinux2014_{self.machine}", f"manylinux2010_{self.machine}"]


def target_of(docker_image: str, python: str | None) -> TargetPython:
    """The image's Python: from ``--image-python``, else from an official ``python:X.Y`` tag."""
    if python is not None:
        found = re.fullmatch(r"(\d+)\.(\d+)", python)
        if found is None:
            raise UsageError(f"--image-python {python!r} is not X.Y", "write it as 3.11")
        version = (int(found[1]), int(found[2]))
    else:
        tag = _PYTHON_IMAGE.match(docker_image)
        if tag is None:
            raise UsageError(
                f"cannot tell which Python the image {docker_image!r} runs",
                "give --image-python X.Y (the image's python3 version)",
            )
        version = (int(tag[1]), int(tag[2]))
    if version < OLDEST_PYTHON:
        raise UsageError(
            f"the image's Python is {version[0]}.{version[1]}; submitkit needs 3.10 or later",
            "choose --docker-image python:3.11-slim",
        )
    return TargetPython(version)


@dataclass(frozen=True)
class Pin:
    """One distribution the program vendors."""

    name: str
    version: str | None
    """The installed version; ``None`` for a distribution needed only by the image's Python."""
    spec: str
    """What requires it (``numpy>=1.24``), for messages and unpinned downloads."""

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.spec


def _requirements_of(dist: str, extras: Iterable[str], env: dict[str, str]) -> list[Requirement]:
    found: list[Requirement] = []
    for text in importlib.metadata.requires(dist) or []:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        if marker is None or any(
            marker.evaluate({**env, "extra": extra}) for extra in ("", *extras)
        ):
            found.append(requirement)
    return found


def vendored_pins(target: TargetPython, root: str = "submitkit") -> list[Pin]:
    """submitkit's runtime requirements and theirs, for ``target``, pinned where installed.

    Raises UsageError when an installed version does not support the target's
    Python (numpy 2.4 on 3.10): the bundle would be refused by pip at scoring time.
    """
    env = target.marker_environment()
    pins: dict[str, Pin] = {}
    queue: list[tuple[Requirement, str]] = [(r, root) for r in _requirements_of(root, (), env)]
    while queue:
        requirement, parent = queue.pop(0)
        key = canonicalize_name(requirement.name)
        if key in pins:
            continue
        try:
            dist = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            pins[key] = Pin(key, None, str(requirement).split(";")[0].strip())
            continue
        pins[key] = Pin(key, dist.version, str(requirement).split(";")[0].strip())
        _check_python(key, dist, target, parent)
        queue += [(r, key) for r in _requirements_of(requirement.name, requirement.extras, env)]
    return sorted(pins.values(), key=lambda p: p.name)


def _check_python(
    name: str, dist: importlib.metadata.Distribution, target: TargetPython, parent: str
) -> None:
    needs = dist.metadata["Requires-Python"]
    if needs and Version(f"{target.dotted}.0") not in SpecifierSet(needs):
        raise UsageError(
            f"{name} {dist.version} (installed here, required by {parent}) needs Python "
            f"{needs}; the image runs Python {target.dotted}, which cannot install it",
            f"build the bundle in a Python {target.dotted} environment, or choose "
            f"--docker-image python:{sys.version_info.major}.{sys.version_info.minor}-slim "
            "(the Python of this environment)",
        )


def import_names(pins: list[Pin], target: TargetPython) -> list[str]:
    """A top-level module of each direct requirement: what the launcher checks for."""
    by_dist: dict[str, list[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        if module.isidentifier() and not module.startswith("_"):
            for dist in dists:
                by_dist.setdefault(canonicalize_name(dist), []).append(module)
    direct = {
        canonicalize_name(r.name)
        for r in _requirements_of("submitkit", (), target.marker_environment())
    }
    return sorted(
        min(by_dist[pin.name]) for pin in pins if pin.name in direct and pin.name in by_dist
    )


def fetch_wheels(
    pins: list[Pin], target: TargetPython, into: Path, wheels_from: Path | None = None
) -> list[Path]:
    """One wheel per pin for ``target``, downloaded by pip (or taken from ``wheels_from``).

    ``wheels_from``: a folder of wheels (an offline machine, the tests); no index is read.
    """
    into.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--only-binary=:all:", "--python-version", target.dotted,
        "--implementation", "cp", "--abi", f"cp{target.version[0]}{target.version[1]}",
        "--dest", str(into),
    ]  # fmt: skip
    for platform in target.pip_platforms():
        argv += ["--platform", platform]
    if wheels_from is not None:
        argv += ["--no-index", "--find-links", str(wheels_from)]
    argv += [pin.requirement for pin in pins]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot run pip: {exc.strerror}", "install pip") from exc
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        said = errors[-1] if errors else (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise EnvironmentProblem(
            f"no wheel for Python {target.dotted} on manylinux {target.machine}: {said}",
            "check the network (pip's index) or --wheels-from, and that every pinned "
            "version has a wheel for the image's Python",
        )
    wheels = sorted(into.glob("*.whl"))
    have = {canonicalize_name(w.name.split("-", 1)[0]) for w in wheels}
    lacking = [p.name for p in pins if p.name not in have]
    if lacking:
        raise EnvironmentProblem(
            f"pip gave no wheel for {', '.join(lacking)}", "give a folder that has them"
        )
    return wheels


def requirements_txt(pins: list[Pin], target: TargetPython) -> str:
    """What the program vendors, for people reading the bundle."""
    head = f"# Python {target.dotted}, manylinux {target.machine}; vendored under {WHEELS}/\n"
    return head + "".join(f"{pin.requirement}\n" for pin in pins)


_LAUNCHER_TEXT = '''"""Written by `submitkit bundle`: runs `submitkit score INPUT OUTPUT [options]`.

Nothing is installed and nothing is downloaded: the submitkit source sits
beside this file and every dependency is a wheel under {wheels}/, built for
Python {python}; the wheels are unpacked into a temporary folder for this run.
Exit {code}: the program cannot start here (another Python, a missing wheel).
"""
import os
import shutil
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = {version!r}
NEEDED = {needed!r}
SKIPPED = (".pyi", ".h", ".hpp", ".c", ".cpp", ".pxd", ".pyx")


def cannot_start(message):
    print("scoring program cannot start: " + message, file=sys.stderr)
    sys.exit({code})


def unpack_wheels(target):
    """Each wheel's files into target, as an installer lays out purelib and platlib."""
    folder = os.path.join(HERE, "{wheels}")
    for wheel in sorted(os.listdir(folder)):
        with zipfile.ZipFile(os.path.join(folder, wheel)) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                if parts[0].endswith(".data"):
                    if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                        continue
                    parts = parts[2:]
                if info.is_dir() or ".." in parts or not parts[0] or "tests" in parts[:-1]:
                    continue  # test suites of numpy and scipy: a third of the bytes
                if parts[-1].endswith(SKIPPED):
                    continue
                path = os.path.join(target, *parts)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with archive.open(info) as src, open(path, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)


def run():
    if sys.version_info[:2] != PYTHON:
        cannot_start(
            "this image runs Python %d.%d; the program was built for %d.%d "
            "(rebuild the bundle with --docker-image python:%d.%d-slim)"
            % (sys.version_info[:2] + PYTHON + PYTHON)
        )
    site = tempfile.mkdtemp(prefix="submitkit-site-")
    try:
        try:
            unpack_wheels(site)
        except (OSError, zipfile.BadZipFile) as exc:
            cannot_start("cannot unpack the wheels: %s" % exc)
        sys.path[:0] = [HERE, site]
        import importlib
        import importlib.util

        missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
        if missing:
            cannot_start("missing dependency " + ", ".join(missing) + ": rebuild the bundle")
        for name in NEEDED:
            try:
                # Imported now, so that a wheel this platform cannot load is one line here.
                importlib.import_module(name)
            except Exception as exc:
                cannot_start("cannot import %s: %s" % (name, exc))
        try:
            from submitkit.cli.entry import main
        except ImportError as exc:
            cannot_start("cannot import %s: %s" % (exc.name or "submitkit", exc))
        sys.argv = ["submitkit", "score"] + sys.argv[1:]
        main()
    finally:
        shutil.rmtree(site, ignore_errors=True)


# Worker processes may import this file again: only the platform's own run scores.
if __name__ == "__main__":
    run()
'''


def launcher_text(target: TargetPython, needed: list[str]) -> str:
    return _LAUNCHER_TEXT.format(
        wheels=WHEELS,
        python=target.dotted,
        version=target.version,
        needed=tuple(needed),
        code=EXIT_CANNOT_START,
    )


def metadata_yaml(protocol: Protocol) -> str:
    """The platform's command line: the phase's protocol is fixed here; no shell reads it."""
    return dump_yaml(
        {
            "command": f"python3 $program/{LAUNCHER} $input $output --protocol {protocol.value}",
            "description": f"submitkit {__version__}: check and score ImageNet-S masks "
            f"({PROTOCOL_TITLES[protocol]} protocol)",
        }
    )


def package_files() -> dict[str, bytes]:
    """The running submitkit's source, as ``submitkit/...`` members."""
    root = Path(submitkit.__file__).parent
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        wanted = path.suffix == ".py" or path.name in ("py.typed", "class_names.txt")
        if wanted and path.is_file() and "__pycache__" not in path.parts:
            files[f"submitkit/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return files
