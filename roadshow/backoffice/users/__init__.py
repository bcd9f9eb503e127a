"""Admins' pages for user accounts: the list, inviting, changing role and partner, deactivating."""
