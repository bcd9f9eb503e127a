"""iCalendar invitations and feeds; feed subscribers."""
