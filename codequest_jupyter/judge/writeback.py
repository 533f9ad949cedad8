"""Arguments learner code changes in place: the change made in the test's own object.

A test's values reach learner code by copy. So that ``sort_in_place(a)`` followed by
``assert a == [1, 2, 3]`` works as under pytest, a call whose arguments include a
mutable container (a list, dict, set or bytearray, or a tuple holding one) names them
to the agent (``m``: positions and keyword names). The agent keeps the very items each
held before the call and, after it (returned or raised), sends back the new state of
each one learner code changed (``wb``), and only those: an unchanged 200,000-int list
costs an identity check at C speed in the kernel, nothing on the wire.

The judge decodes each state with the restricted decoder, as a return value (data, or
a proxy for a learner object the container now holds), and sets it **in place**: a
list by slice assignment, a dict cleared and updated, a set cleared and updated, a
bytearray by slice. With the state the agent names, for each container in it, which
of the containers the argument held before the call is at that place (``-1``: a new
one); the judge puts its own there, updated the same way (:func:`rebuild`), so ``a is
a``, every alias of the test's sees the change, a row of a grid sorted in place keeps
its identity and a row learner code replaced is a new object, as under pytest. A
state that is not the argument's type, names an argument the judge did not ask
about, is beyond the decoder's bounds, cannot be copied, or names containers that do
not fit it (out of range, of another type, one inside itself) is refused: the call
fails as :class:`.proxy.ReplyRejected` (the test errs, nothing is earned).

The other way round, a test's callback that changes a list (dict, set, bytearray)
learner code handed it (:func:`call_back`): its new state goes back with the callback's
result, and the agent sets it in learner code's own object (position by position).

What the judge cannot see: a change made after the call returned (learner code kept
the list, in an object or a global, and changes it in a later call: the test's list
keeps its state at the end of the call that was given it); aliasing inside one call's
arguments (``f(a, a)`` gives learner code two copies); a tuple nested in an argument
is a new tuple when learner code changed what it holds. Where the agent cannot name
the containers (learner code put a subclass of a built-in container in), nested
containers are updated position by position (a dict's by key) instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .proxy import KernelError, ReplyRejected

if TYPE_CHECKING:
    from .connection import Connection

_MUTABLE = frozenset({list, dict, set, bytearray})
_WALKED = _MUTABLE | {tuple}


def call(conn: Connection, hid: int, args: tuple, kwargs: dict[str, Any]) -> Any:
    """``conn.request("call", ...)`` with the arguments learner code changed in place
    changed in the test's objects too (after a return, and before a learner
    exception reaches the test)."""
    fields = {"a": conn.encode(list(args))}
    if kwargs:  # (none: no "k")
        fields["k"] = conn.encode(kwargs)
    watched = _watched(args, kwargs)
    if not watched:
        return conn.request("call", h=hid, **fields)
    try:
        result = conn.request("call", h=hid, m=watched, **fields)
    except KernelError:
        raise  # no reply (a timeout, a dead kernel) or one refused: nothing to apply
    except Exception:
        # The learner's exception (its reply set written_back last).
        _apply(conn, args, kwargs, watched, conn.written_back)
        raise
    _apply(conn, args, kwargs, watched, conn.written_back)
    return result


def call_back(target: Any, args: list, kwargs: dict[str, Any], encode: Any) -> tuple[Any, list]:
    """A test's callback called by learner code (``target(*args, **kwargs)``, the
    arguments decoded from the kernel), and the new state of each argument it changed
    in place (``[[position, tree], ...]``), for the agent to set in learner code's
    own objects: the other way round, the same as a call's."""
    from .agent import _changed, _snapshot  # (the same check the agent makes)

    watched = []
    for pos, value in [*enumerate(args), *kwargs.items()]:
        if type(value) in _WALKED:
            try:
                watched.append((pos, value, _snapshot(value)))
            except RecursionError:
                continue  # deeper than the judge's stack allows: not watched
    result = target(*args, **kwargs)
    changed = []
    for pos, value, snap in watched:
        try:
            if _changed(value, snap):
                changed.append([pos, encode(value)])
        except RecursionError:
            continue
    return result, changed


def _watched(args: tuple, kwargs: dict[str, Any]) -> list[int | str]:
    positions: list[int | str] = []
    named: list[tuple[int | str, Any]] = [*enumerate(args), *kwargs.items()]
    for pos, value in named:
        t = type(value)
        if t in _MUTABLE or (t is tuple and _holds_mutable(value)):
            positions.append(pos)
    return positions


def _holds_mutable(value: tuple) -> bool:
    if not _holds_any(value):
        return False  # (at C speed: a tuple of a million ints is not walked)
    return any(type(x) in _MUTABLE or (type(x) is tuple and _holds_mutable(x)) for x in value)


def _apply(
    conn: Connection, args: tuple, kwargs: dict[str, Any], watched: list, states: Any
) -> None:
    if states is None:
        return
    if type(states) is not list:
        raise ReplyRejected("the kernel sent malformed changes to the test's arguments")
    for entry in states:
        pos = entry[0] if type(entry) is list and len(entry) in (2, 3) else None
        if not ((type(pos) is int or type(pos) is str) and pos in watched):
            raise ReplyRejected("the kernel sent a change to an argument the test did not pass")
        # (``type(pos)`` checked above: an int that is not a bool, or a str)
        target = args[pos] if isinstance(pos, int) else kwargs[pos]
        name = f"argument {pos + 1}" if isinstance(pos, int) else f"argument {pos}="
        if entry[1] is None:
            why = entry[2] if len(entry) == 3 and type(entry[2]) is str else ""
            raise ReplyRejected(
                f"what the learner's code put into {name} cannot be copied back: {why[:500]}"
            )
        try:
            state = conn._decode(entry[1])
        except ReplyRejected as exc:
            raise ReplyRejected(f"{exc} (the new value of {name})") from None
        if type(state) is not type(target):
            raise ReplyRejected(
                f"the kernel sent a {type(state).__name__} as the new value of {name}, "
                f"a {type(target).__name__}"
            )
        try:
            if len(entry) == 3:
                rebuild(target, state, entry[2])
            else:
                update(target, state)
        except RecursionError:
            raise ReplyRejected(f"the new value of {name} is nested too deep") from None


def containers(value: Any, out: list) -> list:
    """The containers (not tuples) nested in ``value``, in the order the agent numbers
    them: list and tuple items and dict values, depth first."""
    items = list(value.values()) if type(value) is dict else value
    if not _holds_any(items):
        return out
    for x in items:
        t = type(x)
        if t in _MUTABLE or t is tuple:
            if t is not tuple:
                out.append(x)
            if t is list or t is dict or t is tuple:
                containers(x, out)
    return out


def rebuild(target: Any, state: Any, identities: Any) -> None:
    """Make ``target`` hold ``state``, each container in it being the test's own
    container the agent named for that place (``identities``: in walking order, its
    number among the test's nested containers, or -1 for a new one), updated in place:
    rows that moved keep their identity, a new row is a new object. A number out of
    range, of a container of another type, or placing a container inside itself is
    refused."""
    malformed = ReplyRejected("the kernel sent a malformed change to the test's arguments")
    if type(identities) is not list or any(type(k) is not int for k in identities):
        raise malformed
    originals = containers(target, [])
    if any(not -1 <= k < len(originals) for k in identities):
        raise malformed
    numbers = iter(identities)
    within = {id(target)}

    def final(node: Any) -> Any:
        t = type(node)
        if t is tuple:
            return tuple(map(final, node)) if _holds_any(node) else node
        if t not in _MUTABLE:
            return node
        k = next(numbers, None)
        if k is None:
            raise malformed
        if k < 0:
            fill(node, node)
            return node
        own = originals[k]
        if type(own) is not t or id(own) in within:
            raise malformed
        within.add(id(own))
        fill(own, node)
        within.discard(id(own))
        return own

    def fill(dest: Any, node: Any) -> None:
        t = type(node)
        if t is list:
            dest[:] = [*map(final, node)] if _holds_any(node) else node
        elif t is dict:
            items = {k: final(v) for k, v in node.items()} if _holds_any(node.values()) else node
            if dest is not node:
                dest.clear()
                dest.update(items)
            elif items is not node:
                node.update(items)
        elif t is set:
            if dest is not node:
                dest.clear()
                dest.update(node)
        elif t is bytearray:
            dest[:] = node
        else:  # a tuple at the top: its containers change, it cannot
            for x in node:
                final(x)

    fill(target, state)
    if next(numbers, None) is not None:
        raise malformed


def _holds_any(items: Any) -> bool:
    return not _WALKED.isdisjoint(set(map(type, items)))


def update(target: Any, state: Any) -> None:
    """Make ``target`` hold what ``state`` (a decoded value of the same type) holds,
    in place, and the containers in it too (position by position, a dict's by key)."""
    t = type(target)
    if t is bytearray:
        target[:] = state
    elif t is set:
        target.clear()
        target.update(state)
    elif t is list:
        if _MUTABLE.isdisjoint(set(map(type, target))) or _MUTABLE.isdisjoint(
            set(map(type, state))
        ):
            target[:] = state
        else:
            target[:] = [*map(_merge, target, state), *state[len(target) :]]
    elif t is dict:
        merged = {k: _merge(target[k], v) if k in target else v for k, v in state.items()}
        target.clear()
        target.update(merged)
    elif t is tuple:
        # A tuple at the top (its containers are what can change; it cannot).
        for old, new in zip(target, state, strict=False):
            if type(old) is type(new) and (type(old) in _MUTABLE or type(old) is tuple):
                update(old, new)


def _merge(old: Any, new: Any) -> Any:
    """What a container's position holds after the call: the test's own container
    there, updated, when the new state there is one of the same type."""
    if type(old) is type(new) and type(old) in _MUTABLE:
        update(old, new)
        return old
    return new
