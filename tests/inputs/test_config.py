from __future__ import annotations

import os
from pathlib import Path

import pytest

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.inputs.config import load_settings
from tests.conftest import Cli


def write_pyproject(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text(body, encoding="utf-8")


def test_pyproject_then_env_then_flags(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.submitkit]\nsubmission = "out/sub"\ntrack = 50\nprotocol = "semi"\nquick = true\n',
    )
    settings = load_settings({}, cwd=tmp_path, environ={})
    assert settings.submission == tmp_path / "out/sub"
    assert (settings.track, settings.protocol, settings.quick) == (50, Protocol.semi, True)
    settings = load_settings(
        {}, cwd=tmp_path, environ={"SUBMITKIT_TRACK": "300", "SUBMITKIT_SPLIT": "test"}
    )
    assert (settings.track, settings.split) == (300, Split.test)
    settings = load_settings(
        {"track": 919, "quick": None}, cwd=tmp_path, environ={"SUBMITKIT_TRACK": "300"}
    )
    assert settings.track == 919 and settings.quick is True


def test_pyproject_found_in_parent(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.submitkit]\ndataset = "data"\n')
    inner = tmp_path / "src" / "pkg"
    inner.mkdir(parents=True)
    assert load_settings({}, cwd=inner, environ={}).dataset == tmp_path / "data"


def test_bad_value_names_its_origin(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.submitkit]\nprotocol = "supervised"\n')
    with pytest.raises(UsageError, match=r"pyproject\.toml"):
        load_settings({}, cwd=tmp_path, environ={})


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.submitkit]\nprotocl = 1\n")
    with pytest.raises(UsageError, match="protocl"):
        load_settings({}, cwd=tmp_path, environ={})


def test_track_words(tmp_path: Path) -> None:
    assert load_settings({}, cwd=tmp_path, environ={"SUBMITKIT_TRACK": "ImageNet-S50"}).track == 50
    with pytest.raises(UsageError):
        load_settings({}, cwd=tmp_path, environ={"SUBMITKIT_TRACK": "51"})


def test_broken_toml(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.submitkit\n")
    with pytest.raises(UsageError):
        load_settings({}, cwd=tmp_path, environ={})


def test_unknown_key_suggests_the_nearest_name(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.submitkit]\nprotocl = "semi"\n')
    with pytest.raises(UsageError) as caught:
        load_settings({}, cwd=tmp_path, environ={})
    assert "unknown setting `protocl` in [tool.submitkit] of" in caught.value.message
    assert str(tmp_path / "pyproject.toml") in caught.value.message
    assert caught.value.hint.startswith("did you mean `protocol`?")


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_settings({}, cwd=tmp_path, environ={"SUBMITKIT_TRACK": "51"})
    assert caught.value.message.startswith("the environment variable SUBMITKIT_TRACK = '51'")
    assert "50, 300 and 919" in caught.value.hint


def test_bad_pyproject_value_names_key_and_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.submitkit]\nprotocol = "supervised"\n')
    with pytest.raises(UsageError) as caught:
        load_settings({}, cwd=tmp_path, environ={})
    message = caught.value.message
    assert message.startswith(f"`protocol` in [tool.submitkit] of {tmp_path / 'pyproject.toml'}")
    assert "unsupervised, distance, semi and free" in caught.value.hint


def test_bad_flag_value_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_settings({"jobs": "many"}, cwd=tmp_path, environ={})
    assert caught.value.message.startswith("the option --jobs = 'many'")


def test_config_error_reaches_the_terminal_with_its_brackets(tmp_path: Path, cli: Cli) -> None:

    write_pyproject(tmp_path, '[tool.submitkit]\nprotocl = "semi"\n')
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = cli(["check"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 2
    assert "unknown setting `protocl` in [tool.submitkit] of" in result.output
    assert "did you mean `protocol`?" in result.output


def test_unknown_environment_variables_are_named_with_the_nearest_setting() -> None:
    from submitkit.inputs.config import unknown_variables

    environ = {
        "SUBMITKIT_STIRCT": "1",
        "SUBMITKIT_STRICT": "1",
        "SUBMITKIT_CACHE_DIR": "/tmp/c",
        "SUBMITKIT_ZZZ": "x",
        "OTHER_STIRCT": "1",
    }
    found = dict(unknown_variables(environ))
    assert sorted(found) == ["SUBMITKIT_STIRCT", "SUBMITKIT_ZZZ"]
    assert found["SUBMITKIT_STIRCT"].startswith("did you mean SUBMITKIT_STRICT?")
    assert "did you mean" not in found["SUBMITKIT_ZZZ"]


def test_a_misspelt_variable_is_warned_about_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:

    examples = Path(__file__).resolve().parents[2] / "examples"
    monkeypatch.setenv("SUBMITKIT_STIRCT", "1")
    args = ["check", str(examples / "submissions" / "valid")]
    result = cli([*args, "--manifest", str(examples / "manifest.json")])
    assert result.exit_code == 0, result.output
    warning = "warning: SUBMITKIT_STIRCT is not a submitkit setting: ignored"
    assert result.stderr.splitlines()[0] == warning
    assert "did you mean SUBMITKIT_STRICT?" in result.stderr


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("true", True),
        ("1", True),
        ("YES", True),
        (" yes ", True),
        ("false", False),
        ("0", False),
        ("No", False),
    ],
)
@pytest.mark.parametrize("setting", ["strict", "quick"])
def test_a_boolean_takes_six_words(tmp_path: Path, setting: str, word: str, value: bool) -> None:
    variable = f"SUBMITKIT_{setting.upper()}"
    assert getattr(load_settings({}, cwd=tmp_path, environ={variable: word}), setting) is value


@pytest.mark.parametrize("word", ["ture", "on", "off", "y", "t", "2", "enabled", "truee"])
def test_any_other_boolean_word_is_an_error_naming_the_variable(tmp_path: Path, word: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_settings({}, cwd=tmp_path, environ={"SUBMITKIT_STRICT": word})
    assert caught.value.message == (
        f"the environment variable SUBMITKIT_STRICT = {word!r}: not true or false"
    )
    assert "true or false" in caught.value.hint


@pytest.mark.parametrize("toml", ['"on"', '"ture"', "2", "1.0"])
def test_a_boolean_in_pyproject_takes_the_same_words(tmp_path: Path, toml: str) -> None:
    write_pyproject(tmp_path, f"[tool.submitkit]\nstrict = {toml}\n")
    with pytest.raises(UsageError, match=r"`strict` in \[tool\.submitkit\]"):
        load_settings({}, cwd=tmp_path, environ={})
    write_pyproject(tmp_path, '[tool.submitkit]\nstrict = "yes"\nquick = 1\n')
    settings = load_settings({}, cwd=tmp_path, environ={})
    assert settings.strict is True and settings.quick is True


@pytest.mark.parametrize("key", ["submission", "toolbox", "dataset", "manifest"])
def test_a_nul_in_a_configured_path_is_a_usage_error(tmp_path: Path, key: str) -> None:
    write_pyproject(tmp_path, f'[tool.submitkit]\n{key} = "sub\\u0000mission"\n')
    with pytest.raises(UsageError) as caught:
        load_settings({}, cwd=tmp_path, environ={})
    assert caught.value.message.startswith(f"`{key}` in [tool.submitkit]")
    assert "NUL" in caught.value.message and "\x00" not in caught.value.message


def test_a_nul_in_a_configured_path_exits_2_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:

    write_pyproject(tmp_path, '[tool.submitkit]\nsubmission = "a\\u0000b"\n')
    monkeypatch.chdir(tmp_path)
    result = cli(["check"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2
    assert result.output.startswith("error: `submission` in [tool.submitkit]")


def test_a_huge_pyproject_is_refused_without_reading_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from submitkit.inputs import config

    monkeypatch.setattr(config, "MAX_PYPROJECT_BYTES", 1024)
    write_pyproject(tmp_path, "[tool.submitkit]\n" + "# padding\n" * 1000)
    seen: list[int] = []
    real_read = config.read_user_text

    def spy(path: Path, limit: int, what: str, hint: str) -> str:
        seen.append(limit)
        return real_read(path, limit, what, hint)

    monkeypatch.setattr(config, "read_user_text", spy)
    with pytest.raises(SubmitkitError, match="larger than 1 KiB"):
        load_settings({}, cwd=tmp_path, environ={})
    assert seen == [1024]


def test_a_counts_file_is_read_up_to_its_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from submitkit.core.errors import EnvironmentProblem
    from submitkit.workflows import analysis

    monkeypatch.setattr(analysis, "MAX_COUNTS_BYTES", 64)
    big = tmp_path / "counts.json"
    big.write_text('{"kind": "submitkit-evaluation-counts", "pad": "' + "x" * 100 + '"}')
    with pytest.raises(EnvironmentProblem, match=r"counts file .* is larger than 64 bytes"):
        analysis.read_counts_file(big)
