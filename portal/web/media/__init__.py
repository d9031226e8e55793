"""How recorded media reaches browsers: straight from the store (presigned) or relayed by the portal."""
