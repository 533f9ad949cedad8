PAIRS = {")": "(", "]": "[", "}": "{"}
OPENERS = set(PAIRS.values())


def first_error(text):
    """Index of the first bracket problem in ``text``, or None when it is balanced."""
    stack = []  # (position, opening bracket), innermost last
    for pos, ch in enumerate(text):
        if ch in OPENERS:
            stack.append((pos, ch))
        elif ch in PAIRS:
            if not stack or stack[-1][1] != PAIRS[ch]:
                return pos
            stack.pop()
    if stack:
        return stack[0][0]
    return None


def is_balanced(text):
    """True when every bracket in ``text`` is matched, in the right order."""
    return first_error(text) is None
