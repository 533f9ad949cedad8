import pytest

from grid import Maze
from maze_runner import shortest_path


def path_problems(maze, path):
    """What is wrong with ``path`` as a way through ``maze`` (empty when nothing is)."""
    if not path:
        return ["no path returned"]
    problems = []
    start, goal = maze.start, maze.goal
    if path[0] != start:
        problems.append(f"starts at {path[0]}, not at S {start}")
    if path[-1] != goal:
        problems.append(f"ends at {path[-1]}, not at G {goal}")
    # The maze's text, read once: each step is checked here rather than with one call
    # of maze.neighbours() per step (thousands of calls into the learner's kernel).
    lines = maze.lines

    def is_open(cell):
        r, c = cell
        return 0 <= r < len(lines) and 0 <= c < len(lines[r]) and lines[r][c] != "#"

    for a, b in zip(path, path[1:]):
        if abs(a[0] - b[0]) + abs(a[1] - b[1]) != 1 or not is_open(b):
            problems.append(f"cannot step from {a} to {b}")
    return problems


def serpentine(size):
    """A size x size maze whose only route snakes through every other row."""
    rows = []
    for r in range(size):
        if r % 2 == 0:
            rows.append(["."] * size)
        else:
            row = ["#"] * size
            row[size - 1 if r % 4 == 1 else 0] = "."
            rows.append(row)
    rows[0][0] = "S"
    last = rows[size - 1]
    last[size - 1 if (size - 1) % 4 == 0 else 0] = "G"
    return Maze("\n".join("".join(row) for row in rows))


def test_start_next_to_goal():
    assert shortest_path(Maze("#SG#")) == [(0, 1), (0, 2)]


def test_picks_the_shorter_of_two_routes():
    # Going down first (as a depth-first search in up/down/left/right order would)
    # leads to the long way round.
    maze = Maze(
        """
        S.......G
        .#######.
        .........
        """
    )
    path = shortest_path(maze)
    assert (path_problems(maze, path), len(path) - 1) == ([], 8)


@pytest.mark.points(2)
def test_large_open_field():
    size = 200
    rows = ["." * size for _ in range(size)]
    rows[0] = "S" + rows[0][1:]
    rows[-1] = rows[-1][:-1] + "G"
    maze = Maze("\n".join(rows))
    path = shortest_path(maze)
    assert (path_problems(maze, path), len(path) - 1) == ([], 2 * (size - 1))


@pytest.mark.points(2)
def test_long_winding_corridor():
    maze = serpentine(121)
    path = shortest_path(maze)
    # 61 open rows of 120 steps each, plus 120 steps down.
    assert (path_problems(maze, path), len(path) - 1) == ([], 61 * 120 + 120)


def test_unreachable_goal_in_large_maze():
    size = 150
    rows = [["."] * size for _ in range(size)]
    for r in range(size):
        rows[r][size // 2] = "#"
    rows[0][0] = "S"
    rows[size - 1][size - 1] = "G"
    maze = Maze("\n".join("".join(row) for row in rows))
    assert shortest_path(maze) is None
