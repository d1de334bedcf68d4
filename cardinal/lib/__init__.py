"""Small helpers several apps use: JSON-LD, the client address, phone numbers,
migration operations. Project wiring stays in cardinal/ itself."""
