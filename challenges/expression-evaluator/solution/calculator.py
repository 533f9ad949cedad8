import re

TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|(\S))")


def tokenize(expression):
    """The tokens of ``expression``: numbers, operators and parentheses, as strings."""
    tokens = []
    for number, other in TOKEN.findall(expression):
        if number:
            tokens.append(number)
        elif other:
            if other not in "+-*/^()":
                raise ValueError(f"unexpected character {other!r}")
            tokens.append(other)
    return tokens


class _Parser:
    """Recursive descent over the grammar in the README; each method returns a value."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.peek()
        if token is None:
            raise ValueError("the expression ends too early")
        self.pos += 1
        return token

    def expr(self):
        value = self.term()
        while self.peek() in ("+", "-"):
            if self.take() == "+":
                value = value + self.term()
            else:
                value = value - self.term()
        return value

    def term(self):
        value = self.factor()
        while self.peek() in ("*", "/"):
            if self.take() == "*":
                value = value * self.factor()
            else:
                value = value / self.factor()
        return value

    def factor(self):
        if self.peek() in ("+", "-"):
            sign = self.take()
            value = self.factor()
            return -value if sign == "-" else +value
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return base ** self.factor()
        return base

    def atom(self):
        token = self.take()
        if token == "(":
            value = self.expr()
            if self.take() != ")":
                raise ValueError("missing ')'")
            return value
        if token[0].isdigit():
            return float(token) if "." in token else int(token)
        raise ValueError(f"unexpected {token!r}")


def evaluate(expression):
    """The value of an arithmetic expression with + - * / ^ and parentheses."""
    parser = _Parser(tokenize(expression))
    value = parser.expr()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()!r}")
    return value
