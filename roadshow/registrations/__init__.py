"""Company registrations, capacity, waiting list, self-service."""
