"""Check-in and webinar attendance."""
