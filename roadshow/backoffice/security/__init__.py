"""Admins' security settings: whether staff must use a second factor."""
