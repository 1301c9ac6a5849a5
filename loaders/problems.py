"""What is wrong with a file, in words a commissioner can act on."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from loaders.formulas import write_csv


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file.

    ``row`` is the row number as a spreadsheet shows it (the header is row 1); None when the
    problem is with the file as a whole.
    """

    row: int | None
    column: str
    value: str
    reason: str


class FileRejected(Exception):
    """The file cannot be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda p: (p.row if p.row is not None else -1, p.column, p.reason))
        )
        first = self.problems[0].reason if self.problems else "rejected"
        count = len(self.problems)
        super().__init__(f"{count} problem{'' if count == 1 else 's'}; first: {first}")


def problems_csv(problems: Iterable[Problem]) -> str:
    """The problems as CSV text (row, column, value, reason), for download.

    Every cell is made inert: a header cell from the file (the column) can hold a formula as
    well as a value can.
    """
    out = io.StringIO()
    write_csv(out, ["row", "column", "value", "reason"],
              (["" if p.row is None else p.row, p.column, p.value, p.reason] for p in problems))
    return out.getvalue()


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """The problems as a table for people: row, column, value, reason."""
    return pd.DataFrame(
        [("" if p.row is None else str(p.row), p.column, p.value, p.reason) for p in problems],
        columns=["row", "column", "value", "reason"],
    )
