"""Numba kernels for mazes: breadth-first search (distances, one canonical shortest path, the number of
shortest paths) and the Maze-Hard generator.

The generator follows the Searchformer procedure that Maze-Hard was drawn with (datasets.md section 2):
a wall fraction drawn uniformly from [wall_lo, wall_hi], that many walls on random cells (no border
ring), a random start, and up to `goal_draws` random goals, keeping the first whose shortest path is
longer than `min_path` steps. One BFS per layout serves all goal draws. About 3,000 layouts are drawn
per accepted 30x30 maze, so the inner loop works on flat arrays with a neighbour table and a small
xorshift generator (numpy's in numba cost a third of the time).

Grids use the maze alphabet: 0 wall, 1 open, 2 S, 3 G, 4 path. Kernels take flat (h*w,) arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

WALL, OPEN, START, GOAL, PATH = 0, 1, 2, 3, 4


@njit(cache=True)
def neighbours(h, w):
    """(h*w, 4) flat neighbour indices in the order up, down, left, right; -1 off the grid.
    The order fixes which of several shortest paths becomes the label."""
    nb = np.full((h * w, 4), -1, dtype=np.int32)
    for r in range(h):
        for c in range(w):
            cell = r * w + c
            if r > 0:
                nb[cell, 0] = cell - w
            if r < h - 1:
                nb[cell, 1] = cell + w
            if c > 0:
                nb[cell, 2] = cell - 1
            if c < w - 1:
                nb[cell, 3] = cell + 1
    return nb


@njit(cache=True)
def bfs(grid, nb, start, dist, queue):
    """Distances in steps from `start` to every cell of the flat grid (-1: wall or unreachable)."""
    dist[:] = -1
    queue[0] = start
    dist[start] = 0
    head, tail = 0, 1
    while head < tail:
        cell = queue[head]
        head += 1
        d = dist[cell] + 1
        for k in range(4):
            nxt = nb[cell, k]
            if nxt >= 0 and dist[nxt] < 0 and grid[nxt] != WALL:
                dist[nxt] = d
                queue[tail] = nxt
                tail += 1


@njit(cache=True)
def mark_path(grid, nb, dist, goal, out):
    """out = grid with one shortest path from the BFS source to `goal` marked PATH (source and goal
    keep their values): walk back from the goal, always to the first neighbour one step closer."""
    out[:] = grid
    cell = goal
    while dist[cell] > 1:
        for k in range(4):
            nxt = nb[cell, k]
            if nxt >= 0 and dist[nxt] == dist[cell] - 1:
                cell = nxt
                break
        out[cell] = PATH


@njit(cache=True)
def count_shortest(nb, dist, goal, cap):
    """Number of distinct shortest paths from the BFS source to `goal`, capped at `cap`."""
    if dist[goal] < 0:
        return 0
    ways = np.zeros(dist.size, dtype=np.int64)
    for cell in np.argsort(dist):
        if dist[cell] < 0:
            continue
        if dist[cell] == 0:
            ways[cell] = 1
            continue
        total = 0
        for k in range(4):
            nxt = nb[cell, k]
            if nxt >= 0 and dist[nxt] == dist[cell] - 1:
                total += ways[nxt]
        ways[cell] = min(total, cap)
    return ways[goal]


@njit(cache=True)
def _next(state):
    """xorshift64* step; returns 32 good bits as a uint64."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return (x * np.uint64(2685821657736338717)) >> np.uint64(32)


@njit(cache=True)
def _below(state, bound):
    """Uniform int in [0, bound) (multiply-shift; bias < bound / 2**32)."""
    return np.int64((_next(state) * np.uint64(bound)) >> np.uint64(32))


@njit(cache=True)
def _seed_state(seed):
    z = np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15)  # splitmix64, so nearby seeds differ
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    if z == 0:
        z = np.uint64(1)
    return np.array([z], dtype=np.uint64)


@njit(cache=True)
def generate(count, h, w, seed, wall_lo, wall_hi, min_path, goal_draws, max_layouts,
             grids, labels, lengths, unique):
    """Fill up to `count` rows of grids/labels (count, h*w) and lengths (steps) with mazes whose shortest
    path is longer than `min_path` and, if `unique`, the only shortest path. Returns (accepted, layouts
    tried)."""
    state = _seed_state(seed)
    n = h * w
    nb = neighbours(h, w)
    dist = np.empty(n, dtype=np.int32)
    queue = np.empty(n, dtype=np.int32)
    cells = np.arange(n).astype(np.int32)  # shuffled in place; the first num_walls are walls
    grid = np.empty(n, dtype=np.int8)
    accepted = 0
    layouts = 0
    while accepted < count and layouts < max_layouts:
        layouts += 1
        frac = wall_lo + (wall_hi - wall_lo) * (_next(state) / 4294967296.0)
        num_walls = int(frac * n)
        num_free = n - num_walls
        if num_free < 2:
            continue
        grid[:] = OPEN
        # Partial Fisher-Yates: a uniform random set of walls whatever order `cells` is left in.
        for i in range(num_walls):
            j = i + _below(state, n - i)
            cells[i], cells[j] = cells[j], cells[i]
            grid[cells[i]] = WALL
        start = np.int64(cells[num_walls + _below(state, num_free)])  # int64 as in solve: one compile
        bfs(grid, nb, start, dist, queue)
        goal = np.int64(-1)
        for _ in range(goal_draws):
            g = np.int64(cells[num_walls + _below(state, num_free)])
            if dist[g] > min_path and (not unique or count_shortest(nb, dist, g, 2) == 1):
                goal = g
                break
        if goal < 0:
            continue
        grid[start] = START
        grid[goal] = GOAL
        grids[accepted] = grid
        mark_path(grid, nb, dist, goal, labels[accepted])
        lengths[accepted] = dist[goal]
        accepted += 1
    return accepted, layouts


@njit(cache=True)
def solve(grid, h, w, start, goal, label, cap):
    """BFS from start: (steps to goal or -1, number of shortest paths capped at `cap`); writes the
    labelled grid (input with one shortest path marked) into `label` when the goal is reachable."""
    nb = neighbours(h, w)
    dist = np.empty(h * w, dtype=np.int32)
    queue = np.empty(h * w, dtype=np.int32)
    bfs(grid, nb, start, dist, queue)
    if dist[goal] < 0:
        return -1, 0
    mark_path(grid, nb, dist, goal, label)
    return dist[goal], count_shortest(nb, dist, goal, cap)
