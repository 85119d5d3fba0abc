"""QR codes of the sites and their printable posters (DESIGN §2.8, §4)."""
