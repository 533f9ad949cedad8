import pytest

from bank import Account, InsufficientFunds


def test_new_account_has_owner_and_balance():
    account = Account("Ada", 100)
    assert (account.owner, account.balance, Account("Bob").balance) == ("Ada", 100, 0)


def test_deposit_and_withdraw_return_new_balance():
    account = Account("Ada", 100)
    assert [account.deposit(50), account.withdraw(30), account.balance] == [150, 120, 120]


def test_withdrawing_too_much_raises_insufficient_funds():
    account = Account("Ada", 100)
    with pytest.raises(InsufficientFunds):
        account.withdraw(101)


def test_transfer_moves_money_between_accounts():
    ada, bob = Account("Ada", 100), Account("Bob", 5)
    ada.transfer_to(bob, 60)
    assert (ada.balance, bob.balance) == (40, 65)


def test_history_records_each_operation():
    ada, bob = Account("Ada", 100), Account("Bob")
    ada.deposit(50)
    ada.transfer_to(bob, 120)
    bob.withdraw(20)
    assert (ada.history, bob.history) == (
        [("deposit", 50, 150), ("transfer out", 120, 30)],
        [("transfer in", 120, 120), ("withdraw", 20, 100)],
    )
