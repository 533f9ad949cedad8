"""Maze helpers for the Maze Runner challenge.

This file is *locked*: read it and import it as much as you like, but grading always
uses the original copy, so editing it cannot change your result.

A maze is text: ``#`` is a wall, ``.`` is open floor, ``S`` the start and ``G`` the
goal (both open). Cells are ``(row, col)`` tuples; ``(0, 0)`` is the top-left corner.
"""

import textwrap

WALL = "#"
FLOOR = "."
START = "S"
GOAL = "G"

# Moves in the order neighbours() reports them: up, down, left, right.
MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))


class Maze:
    """A rectangular maze parsed from text.

    Attributes: ``rows``, ``cols``, ``start`` and ``goal`` (cells), ``lines`` (the rows
    of text). Raises ``ValueError`` for ragged rows, unknown characters, or anything
    other than exactly one ``S`` and one ``G``.
    """

    def __init__(self, text):
        lines = textwrap.dedent(text).strip("\n").splitlines()
        if not lines or not lines[0]:
            raise ValueError("the maze is empty")
        width = len(lines[0])
        starts, goals = [], []
        for r, line in enumerate(lines):
            if len(line) != width:
                raise ValueError(f"row {r} has {len(line)} cells, expected {width}")
            for c, ch in enumerate(line):
                if ch not in (WALL, FLOOR, START, GOAL):
                    raise ValueError(f"unknown character {ch!r} at row {r}, column {c}")
                if ch == START:
                    starts.append((r, c))
                elif ch == GOAL:
                    goals.append((r, c))
        if len(starts) != 1 or len(goals) != 1:
            raise ValueError("a maze needs exactly one S and one G")
        self.lines = lines
        self.rows = len(lines)
        self.cols = width
        self.start = starts[0]
        self.goal = goals[0]

    def in_bounds(self, cell):
        """True when ``cell`` lies inside the maze."""
        r, c = cell
        return 0 <= r < self.rows and 0 <= c < self.cols

    def is_open(self, cell):
        """True when ``cell`` is inside the maze and not a wall."""
        return self.in_bounds(cell) and self.lines[cell[0]][cell[1]] != WALL

    def neighbours(self, cell):
        """The open cells one step away from ``cell``: up, down, left, right (no diagonals)."""
        r, c = cell
        return [(r + dr, c + dc) for dr, dc in MOVES if self.is_open((r + dr, c + dc))]

    def render(self, path=()):
        """The maze as text, with the cells of ``path`` (except S and G) drawn as ``*``."""
        grid = [list(line) for line in self.lines]
        for r, c in path:
            if grid[r][c] == FLOOR:
                grid[r][c] = "*"
        return "\n".join("".join(row) for row in grid)

    def __str__(self):
        return self.render()

    def __repr__(self):
        return f"<Maze {self.rows}x{self.cols} start={self.start} goal={self.goal}>"
