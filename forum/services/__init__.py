"""Services own every write: permission check, transaction, changes. Views call one each."""
