"""The outbox, composing emails, delivery."""
