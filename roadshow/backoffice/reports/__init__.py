"""Back-office pages: reports per event, tour and partner."""
