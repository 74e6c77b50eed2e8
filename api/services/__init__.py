"""What the actions do, in Temporal terms; the actions only translate wire parameters."""
