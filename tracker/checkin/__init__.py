"""The public check-in at /c/<code>: what a phone sees after scanning a site's QR poster."""
