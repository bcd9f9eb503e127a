"""Back-office pages: webinar reports imported, rows assigned by hand."""
