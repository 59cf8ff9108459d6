"""What every management command of ours shares: bad input ends in one line, never a traceback.

* :class:`MylowareCommand` is the base of our commands. An argument that does not parse is one
  line on stderr and exit 2 (argparse would print its usage block first; ``--help`` still shows
  it), and a service's :class:`~myloware.lib.errors.DomainError` becomes a ``CommandError``: its
  message on one line, exit 1.
* Argument types (``type=`` of ``add_argument``) for the numbers commands take.
* :func:`progress`: a progress bar on a terminal, a few plain lines in a log or a pipe.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from myloware.lib.errors import DomainError

T = TypeVar("T")
Number = TypeVar("Number", int, float)


class OneLineErrorParser(CommandParser):
    """Django's parser, with an argument error on one line when run from a shell."""

    def error(self, message: str) -> NoReturn:
        if not self.called_from_command_line:
            raise CommandError(f"Error: {message}")  # call_command: what Django's parser raises
        self.exit(2, f"{self.prog}: error: {message} (--help lists the options)\n")


class MylowareCommand(BaseCommand):
    """The base of the project's management commands (see the module's docstring)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds its CommandParser itself and offers no hook for the class; ours adds
        # nothing but error(), so the parser Django configured keeps every option it added.
        parser.__class__ = OneLineErrorParser
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc


def number_type(kind: type[Number], *, minimum: Number, inclusive: bool = True) -> Callable[[str], Number]:
    """An argument type: a finite ``kind`` of at least (or, not inclusive, above) ``minimum``."""
    noun = "a whole number" if kind is int else "a number"
    wanted = f"{noun} {'of at least' if inclusive else 'greater than'} {minimum:g}"

    def parse(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None
        if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}")
        return value

    return parse


positive_int = number_type(int, minimum=1)
positive_seconds = number_type(float, minimum=0.0, inclusive=False)

# A plain line each time another tenth of the work is done: a log gets ten lines at most.
_PLAIN_STEPS = 10


class _Unterminated:
    """``stream`` as tqdm needs it: a redraw ("\\r…") written as is, neither ended by a newline
    nor coloured as an error (a command's stderr is styled red on a terminal)."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.stream.flush()


def progress(items: Iterable[T], *, total: int, stream: OutputWrapper, desc: str, unit: str) -> Iterator[T]:
    """``items``, reporting progress on ``stream``: a tqdm bar on a terminal; elsewhere (a log, a
    pipe, CI) plain lines, one per tenth, since a bar's redraws would be one line per update."""
    if stream.isatty():
        yield from tqdm(items, total=total, desc=desc, unit=unit, file=_Unterminated(stream))
        return
    shown = 0
    for done, item in enumerate(items, 1):
        yield item
        step = done * _PLAIN_STEPS // max(total, 1)
        if step > shown:
            shown = step
            stream.write(f"{desc}: {done}/{total} {unit}s")
