def two_sum(nums, target):
    """Positions (i, j), i < j, of two numbers adding up to ``target``; None if none do."""
    seen = {}  # value -> the first position it appeared at
    for j, x in enumerate(nums):
        i = seen.get(target - x)
        if i is not None:
            return (i, j)
        seen.setdefault(x, j)
    return None
