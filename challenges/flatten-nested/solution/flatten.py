def flatten(items, depth=None):
    """A new list of the elements of ``items`` with nested lists/tuples unpacked.

    ``depth`` limits how many levels are unpacked (None: all of them).
    """
    if depth is not None and depth < 0:
        raise ValueError("depth must be >= 0 or None")
    result = []
    _flatten_into(result, items, depth)
    return result


def _flatten_into(result, items, depth):
    for item in items:
        if isinstance(item, (list, tuple)) and (depth is None or depth > 0):
            _flatten_into(result, item, None if depth is None else depth - 1)
        else:
            result.append(item)


def max_depth(value):
    """How deeply ``value`` is nested: 0 for a non-list, 1 + deepest element for a list."""
    if not isinstance(value, (list, tuple)):
        return 0
    return 1 + max((max_depth(item) for item in value), default=0)
