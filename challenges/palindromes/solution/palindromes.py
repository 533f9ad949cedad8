def is_palindrome(text):
    """True when ``text`` reads the same both ways, counting only letters and digits."""
    cleaned = [ch.casefold() for ch in text if ch.isalnum()]
    return cleaned == cleaned[::-1]
