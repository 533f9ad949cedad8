def _check(amount, coins):
    if amount < 0:
        raise ValueError("amount must be >= 0")
    if any(c <= 0 for c in coins):
        raise ValueError("coin values must be positive")
    return sorted(set(coins))


def min_coins(amount, coins):
    """Fewest coins adding up to ``amount`` (unlimited supply), or -1 if impossible."""
    coins = _check(amount, coins)
    impossible = amount + 1  # more coins than any real answer can need
    best = [0] + [impossible] * amount
    for a in range(1, amount + 1):
        for c in coins:
            if c > a:
                break
            if best[a - c] + 1 < best[a]:
                best[a] = best[a - c] + 1
    return best[amount] if best[amount] != impossible else -1


def count_ways(amount, coins):
    """Number of coin combinations (order ignored) adding up to ``amount``."""
    coins = _check(amount, coins)
    ways = [1] + [0] * amount
    # Coins in the outer loop: each combination is built in one order only.
    for c in coins:
        for a in range(c, amount + 1):
            ways[a] += ways[a - c]
    return ways[amount]
