"""The one text renderer: data is printed as written, escaped, and wrapped only on a terminal."""

from __future__ import annotations

import io

from rich.table import Table
from rich.text import Text

from submitkit.checks.report import Report
from submitkit.core.diagnostics import Code
from submitkit.render.console import make_console, printable, wrap_points
from submitkit.render.reporting import TextReporter

LONG_PATH = "n01443537/ILSVRC2012_val_00000001_with_a_name_longer_than_the_line.png"


def _printed(*items: object, terminal: bool, width: int = 40) -> str:
    buffer = io.StringIO()
    console = make_console(buffer, terminal=terminal, width=width)
    for item in items:
        console.print(item)
    return buffer.getvalue()


def test_markup_and_emoji_codes_in_data_are_printed_as_written() -> None:
    text = "set `submission` in [tool.submitkit] of pyproject.toml [/] [bold]x :smile:"
    assert _printed(text, terminal=False, width=200) == text + "\n"


def test_control_characters_are_shown_escaped() -> None:
    name = "n01/evil\x1b[2J\x9bname.png"
    out = _printed(name, Text(name), terminal=True, width=200)
    assert "\x1b[2J" not in out and "\x9b" not in out
    assert out.count("\\x1b[2J\\x9bname.png") == 2
    assert printable("bell\x07 back\x08 cr\r") == "bell\\x07 back\\x08 cr\\x0d"
    assert printable("tab\tand\nnewline") == "tab\tand\nnewline"


def test_table_cells_are_escaped_too() -> None:
    table = Table()
    table.add_column("name")
    table.add_row("x\x1b]0;title\x07y")
    out = _printed(table, terminal=False)
    assert "\x1b]" not in out and "\\x1b]0;title" in out


def test_piped_output_is_not_wrapped() -> None:
    line = "  fix: " + " ".join(["word"] * 40)
    assert _printed(line, terminal=False, width=40) == line + "\n"


def test_terminal_output_wraps_at_spaces_with_a_hanging_indent() -> None:
    line = "  " + LONG_PATH + ": " + " ".join(["word"] * 20)
    lines = _printed(line, terminal=True, width=40).splitlines()
    assert len(lines) > 2
    assert lines[0] == "  " + LONG_PATH + ":", "a path is never broken"
    assert all(row.startswith("    ") for row in lines[1:])
    assert all(len(row) <= 40 for row in lines[1:])
    assert " ".join(row.strip() for row in lines) == line.strip()


def test_wrap_points_never_split_a_word() -> None:
    plain = "error: " + LONG_PATH + " is not a PNG"
    points = wrap_points(plain, 20)
    for point in points:
        assert plain[point - 1] == " "


def test_report_text_keeps_brackets_and_escapes_names() -> None:
    report = Report(submission="sub[bold]", container="folder")
    report.diagnostics = [
        Code.JUNK_FILE.at("n01/\x1b[31mred[/].png", "junk [tool.submitkit]", "delete [it]")
    ]
    buffer = io.StringIO()
    TextReporter(make_console(buffer, terminal=False), examples=5).render(report)
    out = buffer.getvalue()
    assert "submitkit check sub[bold]" in out
    assert "n01/\\x1b[31mred[/].png: junk [tool.submitkit]" in out
    assert "fix: delete [it]" in out
    assert "\x1b" not in out


def test_hidden_findings_say_how_to_see_them() -> None:
    report = Report(submission="s", container="folder")
    report.diagnostics = [Code.JUNK_FILE.at(f"f{i}", "junk", "delete it") for i in range(3)]
    buffer = io.StringIO()
    TextReporter(make_console(buffer, terminal=False), examples=1).render(report)
    assert "… and 2 more (--examples N shows N per code" in buffer.getvalue()
    buffer = io.StringIO()
    TextReporter(make_console(buffer, terminal=False), examples=0).render(report)
    assert "f0" not in buffer.getvalue() and "… and 3 more" in buffer.getvalue()
