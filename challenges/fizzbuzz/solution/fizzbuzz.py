def fizzbuzz(n):
    """The FizzBuzz words for 1..n."""
    if n < 0:
        raise ValueError("n must be >= 0")
    words = []
    for i in range(1, n + 1):
        if i % 15 == 0:
            words.append("FizzBuzz")
        elif i % 3 == 0:
            words.append("Fizz")
        elif i % 5 == 0:
            words.append("Buzz")
        else:
            words.append(str(i))
    return words
