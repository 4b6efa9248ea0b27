"""One style of usage line and metavar in every command's ``-h``.

Typer names a value by its type in its own style (``<path>``, ``<int range>``,
``<list[Path]>``, ``{path}`` for a required argument). Every command is
registered with :class:`StyledCommand`, which names each value once, in the
style of the docs and of most command-line tools: an upper-case name (``PATH``,
``DIR``, ``N``, ``NUMBER``), the choices as ``a|b|c``; a required argument
bare, an optional one in ``[...]``, a repeated one followed by ``...``.
"""

from __future__ import annotations

import re
from typing import Any

from typer import _click
from typer.core import TyperArgument, TyperCommand

DIRS = frozenset({"toolbox", "dataset"})
"""Options whose value is a folder."""


def metavar(param: Any, ctx: Any) -> str | None:
    """The name of ``param``'s value in ``-h``; None for a flag (it takes no value)."""
    if isinstance(param, TyperArgument):
        return str(param.name).upper()
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    shown = str(param.display_type_rich(ctx) or "").strip("<>").removesuffix("...")
    shown = re.sub(r"^list\[(.*)\]$", r"\1", shown)
    descriptor = getattr(param, "type_descriptor", None)
    if "|" in shown or getattr(descriptor, "is_choice", False):
        return shown
    if shown.startswith("int"):
        return "N"
    if shown.startswith("float"):
        return "NUMBER"
    if shown.lower() == "path":
        return "DIR" if param.name in DIRS else "PATH"
    return str(param.name).upper()


def _no_type(ctx: _click.Context) -> None:
    return None


class StyledCommand(TyperCommand):
    """A typer command whose ``-h`` names every value in the one style."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params = super().get_params(ctx)
        for param in params:
            if param.metavar is None:
                param.metavar = metavar(param, ctx)
            if isinstance(param, TyperArgument):
                # Its row shows the name alone, not the name and typer's type (PATH <path>).
                setattr(param, "display_type_rich", _no_type)  # noqa: B010
        return params

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if not isinstance(param, TyperArgument):
                continue
            name = str(param.metavar)
            name = name if param.required else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces
