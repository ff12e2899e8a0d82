"""Awaiting several database calls at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def together(awaitables: Sequence[Awaitable[T]]) -> list[T]:
    """The results of `awaitables`, run concurrently, in their order.

    As `asyncio.gather`, except that a single awaitable (one link path, the usual case) is
    awaited in place: gather would wrap it in a task of its own and pass through the loop.
    """
    if len(awaitables) == 1:
        return [await awaitables[0]]
    return list(await asyncio.gather(*awaitables))
