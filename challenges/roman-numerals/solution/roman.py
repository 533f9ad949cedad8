NUMERALS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"),
    (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
    (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]
VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def to_roman(n):
    """The Roman numeral for 1 <= n <= 3999."""
    if not 1 <= n <= 3999:
        raise ValueError(f"{n} is outside 1..3999")
    parts = []
    for value, symbol in NUMERALS:
        count, n = divmod(n, value)
        parts.append(symbol * count)
    return "".join(parts)


def from_roman(text):
    """The value of a standard Roman numeral; ValueError for anything else."""
    if not text or any(ch not in VALUES for ch in text):
        raise ValueError(f"{text!r} is not a valid Roman numeral")
    total = 0
    for i, ch in enumerate(text):
        value = VALUES[ch]
        if i + 1 < len(text) and value < VALUES[text[i + 1]]:
            total -= value
        else:
            total += value
    # Only the canonical spelling round-trips; this rejects IIII, IC, VV, MMMM, ...
    if not 1 <= total <= 3999 or to_roman(total) != text:
        raise ValueError(f"{text!r} is not a valid Roman numeral")
    return total
