"""Pages for the people who run the installation (platform admins)."""
