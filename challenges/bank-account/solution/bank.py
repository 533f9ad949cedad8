class InsufficientFunds(Exception):
    """Raised when an account does not hold enough money; ``shortfall`` is the gap in cents."""

    def __init__(self, shortfall):
        super().__init__(f"need {shortfall} more cents")
        self.shortfall = shortfall


def _check_amount(amount):
    # bool is a subclass of int, but True is not an amount of money.
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"amount must be a positive whole number of cents, not {amount!r}")


class Account:
    """A bank account holding a whole number of cents."""

    def __init__(self, owner, balance=0):
        if not isinstance(balance, int) or isinstance(balance, bool) or balance < 0:
            raise ValueError(f"opening balance must be a whole number >= 0, not {balance!r}")
        self.owner = owner
        self._balance = balance
        self._history = []

    @property
    def balance(self):
        return self._balance

    @property
    def history(self):
        return list(self._history)

    def _move(self, kind, delta, amount):
        self._balance += delta
        self._history.append((kind, amount, self._balance))
        return self._balance

    def deposit(self, amount):
        _check_amount(amount)
        return self._move("deposit", amount, amount)

    def _check_funds(self, amount):
        _check_amount(amount)
        if amount > self._balance:
            raise InsufficientFunds(amount - self._balance)

    def withdraw(self, amount):
        self._check_funds(amount)
        return self._move("withdraw", -amount, amount)

    def transfer_to(self, other, amount):
        self._check_funds(amount)
        self._move("transfer out", -amount, amount)
        other._move("transfer in", amount, amount)

    def __repr__(self):
        return f"Account({self.owner!r}, balance={self._balance})"
