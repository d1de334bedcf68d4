"""Admin of the education app."""
