import pytest

from bank import Account, InsufficientFunds


def accepted_amounts(method, amounts):
    """The amounts ``method`` accepted instead of raising ValueError."""
    accepted = []
    for amount in amounts:
        try:
            method(amount)
        except ValueError:
            continue
        accepted.append(amount)
    return accepted


def test_failed_withdrawal_changes_nothing():
    account = Account("Ada", 100)
    account.deposit(20)
    with pytest.raises(InsufficientFunds) as info:
        account.withdraw(150)
    assert (account.balance, account.history, info.value.shortfall) == (
        120,
        [("deposit", 20, 120)],
        30,
    )


def test_rejects_amounts_that_are_not_positive_whole_numbers():
    account = Account("Ada", 1000)
    bad = [0, -5, 2.5, 10.0, "10", None]
    assert (
        accepted_amounts(account.deposit, bad),
        accepted_amounts(account.withdraw, bad),
        account.balance,
        account.history,
    ) == ([], [], 1000, [])


def test_opening_balance_must_be_a_whole_number_of_at_least_zero():
    opened = accepted_amounts(lambda balance: Account("Ada", balance), [-1, 9.99, "100"])
    assert (opened, Account("Zed", 0).balance) == ([], 0)


@pytest.mark.points(2)
def test_failed_transfer_changes_neither_account():
    ada, bob = Account("Ada", 50), Account("Bob", 10)
    with pytest.raises(InsufficientFunds):
        ada.transfer_to(bob, 80)
    with pytest.raises(ValueError):
        ada.transfer_to(bob, -10)
    assert (ada.balance, bob.balance, ada.history, bob.history) == (50, 10, [], [])


def test_balance_is_read_only_and_history_a_copy():
    account = Account("Ada", 100)
    with pytest.raises(AttributeError):
        account.balance = 1_000_000
    account.history.append(("deposit", 1_000_000, 1_000_100))
    assert (account.balance, account.history) == (100, [])


def test_repr_shows_owner_and_balance():
    assert repr(Account("Ada", 150)) == "Account('Ada', balance=150)"
