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


def test_straight_corridor():
    maze = Maze("S...G")
    assert shortest_path(maze) == [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]


def test_path_goes_around_walls():
    maze = Maze(
        """
        S.#.....
        .##.###.
        ....#..G
        """
    )
    path = shortest_path(maze)
    assert (path_problems(maze, path), len(path) - 1) == ([], 13)


def test_returns_none_when_goal_is_walled_off():
    maze = Maze(
        """
        S..#...
        ...#.G.
        ...#...
        """
    )
    assert shortest_path(maze) is None


def test_maze_helper_behaves_as_documented():
    # Grading always uses the challenge's own grid.py, whatever the workspace copy says.
    maze = Maze("S.#\n..G")
    assert (maze.neighbours((0, 0)), maze.is_open((0, 2)), maze.neighbours((1, 2))) == (
        [(1, 0), (0, 1)],
        False,
        [(1, 1)],
    )
