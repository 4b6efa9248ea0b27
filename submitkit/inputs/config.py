"""Settings from flags, environment variables and ``[tool.submitkit]`` in pyproject.toml.

A research repository configures its submission once in pyproject.toml so the
pre-commit hook runs with no flags; environment variables override that (CI
machines), and flags override both.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.core.errors import UsageError
from submitkit.inputs.files import read_user_text
from submitkit.inputs.manifest import ManifestSources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ENV_PREFIX = "SUBMITKIT_"
OTHER_VARIABLES = {
    "CACHE_DIR": "where evaluate caches decoded ground truth",
    "DEBUG": "print the traceback of an internal error",
    "TEST_TOOLBOX": "the official toolbox submitkit's own tests read",
}
"""Environment variables that are not settings, with what each does."""
PATH_KEYS = ("submission", "toolbox", "dataset", "manifest")
MAX_PYPROJECT_BYTES = 4 * 2**20
"""pyproject.toml is read up to this size (large ones hold a few hundred KB), never whole."""
BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
"""The only spellings a yes/no setting takes from the environment or pyproject.toml."""


class Settings(BaseModel):
    """Every setting a command can take from the configuration."""

    # Each setting's docstring is its line on docs/configuration.md (`submitkit docs`).
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    submission: Path | None = None
    """The submission folder or zip the commands work on when none is given."""
    toolbox: Path | None = None
    """A clone of the official ImageNet-S toolbox: the expected names come from its `data/`."""
    dataset: Path | None = None
    """Your ImageNet-S copy (`ImageNetS{50,300,919}/<split>/...`): mask sizes, ground truth."""
    manifest: Path | None = None
    """A manifest written by `submitkit manifest`: names and sizes without the toolbox."""
    track: Literal[50, 300, 919] | None = None
    """The track (number of classes); detected from the predictions when unset."""
    split: Split | None = None
    """The split; detected from the predictions when unset."""
    protocol: Protocol | None = None
    """The leaderboard; its rules are checked against method.txt."""
    jobs: int = 0
    """Parallel workers for reading masks; 0 uses every available core."""
    strict: bool = False
    """Warnings fail the check too."""
    quick: bool = False
    """Read PNG headers only, skip pixel checks (what the pre-commit hook uses)."""
    method: dict[str, str] | None = None
    """The six method.txt fields, for `pack` to write method.txt from."""

    @field_validator("strict", "quick", mode="before")
    @classmethod
    def _exact_boolean(cls, value: object) -> object:
        # Pydantic alone reads "on", "t", "y" and more, and SUBMITKIT_STRICT=ture was
        # read as false: only the six words are taken, anything else is refused.
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in BOOLEAN_WORDS:
            return BOOLEAN_WORDS[value.strip().lower()]
        raise ValueError("not true or false")

    @field_validator(*PATH_KEYS, mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # No file system takes a NUL in a name; os calls would fail deep inside a command.
        if isinstance(value, (str, Path)) and "\x00" in str(value):
            raise ValueError("holds a NUL character, which no path can hold")
        return value

    @field_validator("track", mode="before")
    @classmethod
    def _track_number(cls, value: object) -> object:
        # Environment variables and flags arrive as text; "ImageNet-S50" is fine too.
        if isinstance(value, str):
            word = value.strip().lower().replace("-", "").replace("_", "")
            if word in ("imagenets", "imagenets919"):
                return 919
            digits = word.removeprefix("imagenets")
            return int(digits) if digits.isdigit() else value
        return value


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _from_pyproject(path: Path) -> dict[str, Any]:
    text = read_user_text(
        path, MAX_PYPROJECT_BYTES, "configuration file", "fix or move this pyproject.toml"
    )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"cannot read {path}: {exc}", "fix the TOML syntax") from exc
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        # `tool = "x"` is valid TOML but leaves no room for [tool.submitkit].
        raise UsageError(
            f"`tool` in {path} is not a table", "write settings under a [tool.submitkit] header"
        )
    table = tool.get("submitkit", {})
    if not isinstance(table, dict):
        raise UsageError(
            f"[tool.submitkit] in {path} is not a table",
            "write settings under a [tool.submitkit] header",
        )
    values = dict(table)
    for key in PATH_KEYS:
        if isinstance(values.get(key), str):
            # Paths in pyproject.toml are relative to the file, not to the caller's cwd.
            values[key] = str(path.parent / values[key])
    return values


def _from_environment(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is None or raw == "" or name == "method":
            continue
        values[name] = raw  # judged by the model: a word it does not take is an error
    return values


def unknown_variables(environ: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """``SUBMITKIT_*`` variables that mean nothing to submitkit, each with a hint.

    A misspelt ``SUBMITKIT_STIRCT=1`` would otherwise be ignored in silence, and
    a CI job would pass that was meant to fail on warnings. They are not refused
    (a CI machine's environment is shared), only pointed out.
    """
    names = [n.upper() for n in Settings.model_fields if n != "method"]
    known = [*names, *OTHER_VARIABLES]
    found = []
    for variable in sorted(os.environ if environ is None else environ):
        name = variable[len(ENV_PREFIX) :]
        if not variable.startswith(ENV_PREFIX) or name in known:
            continue
        near = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {ENV_PREFIX}{near[0]}? " if near else ""
        found.append((variable, f"{hint}see `docs/configuration.md` for the known names"))
    return found


def load_settings(
    flags: dict[str, Any],
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
    named: Callable[[str], str] | None = None,
) -> Settings:
    """Merge pyproject.toml < environment < flags (``None`` flags are unset).

    An error names the setting and where it came from (the option, the
    environment variable, or the pyproject.toml file), and suggests the nearest
    valid name for an unknown one. ``named`` says how a flag is called where it
    came from (the Python API passes keyword arguments, not options).
    """
    cwd = cwd or Path.cwd()
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    pyproject = find_pyproject(cwd)
    if pyproject is not None:
        table = _from_pyproject(pyproject)
        _refuse_unknown(table, pyproject)
        for key, value in table.items():
            merged[key], origin[key] = value, f"`{key}` in [tool.submitkit] of {pyproject}"
    for key, value in _from_environment(dict(os.environ if environ is None else environ)).items():
        merged[key], origin[key] = value, f"the environment variable {ENV_PREFIX}{key.upper()}"
    for key, value in flags.items():
        if value is not None:
            merged[key], origin[key] = value, (named or _option)(key)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "?"
        shown = _shown(merged.get(key))
        raise UsageError(
            f"{origin.get(key, 'the configuration')} = {shown}: {_reason(key, first['msg'])}",
            _accepted(key),
        ) from exc


def _option(key: str) -> str:
    return f"the option --{key.replace('_', '-')}"


def sources_of(settings: Settings) -> ManifestSources:
    """Where the expected names (and sizes) come from: toolbox, dataset, manifest."""
    return ManifestSources(settings.toolbox, settings.dataset, settings.manifest)


@dataclass(frozen=True)
class RunContext:
    """What one run is about: made once from the settings, completed once by the check.

    Every workflow takes this one object instead of loose ``track``/``split``/
    ``protocol``/``jobs`` arguments, so no two stages can disagree about the run.
    Before the check, ``track``, ``split`` and ``protocol`` are what the user gave
    (``None`` when unset); :meth:`completed` returns the context the check settled
    on: the detected track and split, and the protocol method.txt declares when
    none was given. Later stages and renderers read only the completed one.
    """

    sources: ManifestSources = field(default_factory=ManifestSources)
    track: int | None = None
    split: Split | None = None
    protocol: Protocol | None = None
    jobs: int = 0
    strict: bool = False
    quick: bool = False
    checked: bool = False
    """Whether the check has completed this context (track, split and protocol settled)."""

    @classmethod
    def of(cls, settings: Settings) -> RunContext:
        """The context of a run from its resolved settings."""
        return cls(
            sources=sources_of(settings),
            track=settings.track,
            split=settings.split,
            protocol=settings.protocol,
            jobs=settings.jobs,
            strict=settings.strict,
            quick=settings.quick,
        )

    def but(self, **changes: Any) -> RunContext:
        """This context with some fields changed (a command's own fixed split, say)."""
        return replace(self, **changes)

    def completed(
        self, track: int | None, split: Split | None, protocol: Protocol | None
    ) -> RunContext:
        """The context the check settled on (called once, by the check)."""
        return replace(self, track=track, split=split, protocol=protocol, checked=True)


def submission_of(settings: Settings) -> Path:
    """The submission a run is about; a usage error when none is given or configured."""
    if settings.submission is None:
        raise UsageError(
            "no submission given",
            "pass its folder or zip, or set `submission` in [tool.submitkit] of pyproject.toml",
        )
    return settings.submission


def _refuse_unknown(table: dict[str, Any], pyproject: Path) -> None:
    for key in table:
        if key not in Settings.model_fields:
            near = difflib.get_close_matches(key, list(Settings.model_fields), n=1)
            suggestion = f"did you mean `{near[0]}`? " if near else ""
            raise UsageError(
                f"unknown setting `{key}` in [tool.submitkit] of {pyproject}",
                f"{suggestion}known settings: {', '.join(Settings.model_fields)}",
            )


def _shown(value: object) -> str:
    text = repr(str(value)) if isinstance(value, Path) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reason(key: str, message: str) -> str:
    if key == "track":
        return "not a track"
    message = message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else "invalid"


_ACCEPTED = {
    "track": "tracks are 50, 300 and 919 (ImageNet-S50, -S300, -S919)",
    "split": "splits are validation and test",
    "protocol": "protocols are unsupervised, distance, semi and free",
    "jobs": "jobs is a whole number (0 = every core)",
    "strict": "strict is true or false (also 1/0, yes/no)",
    "quick": "quick is true or false (also 1/0, yes/no)",
    "method": "[tool.submitkit.method] holds the six method.txt fields as text",
}


def _accepted(key: str) -> str:
    return _ACCEPTED.get(key, f"`{key}` is a path")
