"""docs/ says what the code does: generated pages, command pages, hooks, links, README.

Each failure message says what to run or write, for the developer who added a code,
a setting, a command, an option or a hook.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from types import ModuleType

import pytest
import typer.main
from typer.core import TyperArgument, TyperOption

from submitkit.cli.app import app
from submitkit.cli.docs import setting_flags
from submitkit.core.code_docs import CODE_DOCS
from submitkit.core.diagnostics import Code
from submitkit.inputs.config import Settings
from submitkit.render.docs import REGENERATE, fill_regions, region, stale_pages
from tests.conftest import Cli

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
GROUP = typer.main.get_command(app)
assert isinstance(GROUP, typer.core.TyperGroup)


def _readme_commands() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "readme_commands", REPO / ".ci/readme_commands.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_up_to_date() -> None:
    stale = stale_pages(REPO, setting_flags(GROUP))
    assert stale == [], f"{[str(p.relative_to(REPO)) for p in stale]} out of date: {REGENERATE}"


def test_every_code_has_its_example_and_fix() -> None:
    missing = [code.value for code in Code if code not in CODE_DOCS]
    assert missing == [], (
        f"add a CodeDoc(example, fix) for {missing} to CODE_DOCS in "
        f"submitkit/core/code_docs.py, then {REGENERATE}"
    )
    for code, doc in CODE_DOCS.items():
        assert doc.example.strip() and len(doc.fix) > 10, code


def test_every_code_has_a_page_naming_its_meaning_and_example() -> None:
    for code in Code:
        page = (DOCS / "codes" / f"{code.value}.md").read_text(encoding="utf-8")
        assert page.startswith("<!-- generated") and f"# {code.value} {code.name}" in page
        assert CODE_DOCS[code].example in page


def test_docs_check_command_reports_drift_and_write_repairs_it(tmp_path: Path, cli: Cli) -> None:
    root = tmp_path / "repo"
    shutil.copytree(DOCS, root / "docs")
    shutil.copytree(REPO / "examples", root / "examples", ignore=shutil.ignore_patterns("*.png"))
    shutil.copyfile(REPO / "pyproject.toml", root / "pyproject.toml")  # a submitkit clone
    assert cli(["docs", "--root", str(root), "--check"]).exit_code == 0
    (root / "docs/codes/M003.md").write_text("edited by hand\n")
    (root / "docs/codes/X999.md").write_text("a removed code\n")
    guide = root / "docs/guide.md"
    guide.write_text(guide.read_text().replace("| required |", "| maybe |", 1))
    result = cli(["docs", "--root", str(root), "--check"])
    assert result.exit_code == 1
    for name in ("M003.md", "X999.md", "guide.md"):
        assert name in result.output
    assert "submitkit docs" in result.output
    assert cli(["docs", "--root", str(root)]).exit_code == 0
    assert not (root / "docs/codes/X999.md").exists()
    assert cli(["docs", "--root", str(root), "--check"]).exit_code == 0
    assert (root / "docs/guide.md").read_text() == (DOCS / "guide.md").read_text()


def test_regions_are_replaced_and_prose_around_them_kept() -> None:
    text = f"before\n{region('rules', 'old')}\nafter {region('other', 'kept')}\n"
    filled = fill_regions(text, {"rules": "new"})
    assert filled.startswith("before\n") and filled.endswith("\n")
    assert "new" in filled and "old" not in filled and "kept" in filled and "after" in filled


def test_rules_table_is_rendered_from_the_protocols() -> None:
    guide = (DOCS / "guide.md").read_text(encoding="utf-8")
    from submitkit.benchmark.protocols import RULES

    for rule in RULES:
        assert f"(`{rule.declaration}:`)" in guide


def test_every_setting_is_documented_with_flag_env_and_key() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"give setting {name!r} a docstring in inputs/config.py"
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        if name != "method":
            assert f"`SUBMITKIT_{name.upper()}`" in row
            assert name == "submission" or f"`--{name}`" in row, f"no command takes --{name}"


def _options(command_name: str) -> list[str]:
    command = GROUP.commands[command_name]
    spellings = []
    for param in command.params:
        if isinstance(param, TyperOption) and param.name != "help":
            spellings.append(max(param.opts, key=len))
        elif isinstance(param, TyperArgument):
            spellings.append((param.metavar or param.name or "").upper())
    return spellings


@pytest.mark.parametrize("command_name", sorted(GROUP.commands))
def test_every_command_has_a_page_with_every_option(command_name: str) -> None:
    page = DOCS / "commands" / f"{command_name}.md"
    assert page.is_file(), f"write docs/commands/{command_name}.md and link it in docs/index.md"
    text = page.read_text(encoding="utf-8")
    title = text.splitlines()[0].replace("`", "")
    assert title == f"# submitkit {command_name}", f"title docs/commands/{command_name}.md"
    missing = [o for o in _options(command_name) if o.startswith("-") and o not in text]
    assert missing == [], f"docs/commands/{command_name}.md does not document {missing}"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert f"(commands/{command_name}.md)" in index, f"link commands/{command_name}.md in index"


def test_every_offered_pre_commit_hook_is_documented() -> None:
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    ids = re.findall(r"^- id: (\S+)", hooks, re.MULTILINE)
    entries = re.findall(r"^  entry: (.+)$", hooks, re.MULTILINE)
    assert ids and len(ids) == len(entries)
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    for hook, entry in zip(ids, entries, strict=True):
        assert f"- id: {hook}" in page, f"show hook {hook} in the docs/ci.md snippet"
        assert f"`{hook}`" in page and entry.strip() in page, f"describe {hook} ({entry}) in ci.md"


def test_version_pins_in_docs_exist() -> None:
    # There are no release tags: a pin must be a commit SHA placeholder, never a made-up tag.
    for page in [REPO / "README.md", *DOCS.rglob("*.md")]:
        text = page.read_text(encoding="utf-8")
        pinned = re.search(r"^\s*rev: v\d|submitkit@v\d", text, re.MULTILINE)
        assert not pinned, f"{page} pins a tag that does not exist"


def test_every_page_is_linked_from_the_index_and_every_link_resolves() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        assert page.name == "index.md" or f"({page.name})" in index, f"link {page.name} in index"
    for page in [REPO / "README.md", *DOCS.rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links {target}"


def test_readme_fits_a_screen_and_starts_with_its_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 70, "the README is one screen: move details into docs/"
    helper = _readme_commands()
    blocks = helper.commands(readme)
    first, second = helper.command(1), helper.command(2)
    assert readme.index(first) < readme.index("\n## "), "the two commands come first"
    assert blocks[0] == first and blocks[1] == second
    # The user install, not the development tools, then the main job on the shipped example.
    assert "pip install ." in first and "[test]" not in first
    assert "submitkit check examples/submissions/valid" in first
    assert "python -m pytest" in second


def test_ci_runs_the_readme_commands_through_the_same_helper() -> None:
    script = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert "python3 .ci/readme_commands.py 1" in script
    assert "python3 .ci/readme_commands.py 2" in script
    assert "SUBMITKIT_TEST_TOOLBOX" in script and "set -euo pipefail" in script
    # No hand-written copy that could drift from the README.
    assert "pip install" not in script and "pytest" not in script.replace("pytest exits", "")
