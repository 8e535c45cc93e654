"""Public pages: what a visitor without an account sees."""
