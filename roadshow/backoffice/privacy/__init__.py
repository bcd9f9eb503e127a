"""The organisers' privacy page: find a person's data, download it, erase it."""
