"""Graph colouring: give every vertex one of k colours, the two ends of each edge different.

Vertices are numbered ``0 .. vertices - 1``; colours ``0 .. colours - 1``.
Graphs go up to 20 vertices and 8 colours.
"""

from __future__ import annotations

from typing import Annotated

from assay.specs import Between, Given, MaxLen, Proposal, spec

__all__ = ["MAX_COLOURS", "MAX_VERTICES", "graph_colouring"]

MAX_VERTICES = 20
MAX_COLOURS = 8

Vertex = Annotated[int, Between(0, MAX_VERTICES - 1)]
Edge = tuple[Vertex, Vertex]
Colour = Annotated[int, Between(0, MAX_COLOURS - 1)]


@spec
def graph_colouring(
    vertices: Given[Annotated[int, Between(1, MAX_VERTICES)]],
    edges: Given[list[Edge]],
    colours: Given[Annotated[int, Between(1, MAX_COLOURS)]],
    colouring: Proposal[Annotated[list[Colour], MaxLen(MAX_VERTICES)]],
) -> bool:
    """Colour each vertex (colouring[v]) with one of `colours` colours so no edge joins equal colours."""
    return (
        len(colouring) == vertices
        and all(colouring[vertex] < colours for vertex in range(len(colouring)))
        and all(colouring[u] != colouring[v] for u, v in edges)
    )
