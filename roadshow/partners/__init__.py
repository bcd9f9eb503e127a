"""Partners and their roles at events."""
