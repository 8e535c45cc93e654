"""The platform's own administration: who runs the installation (admins.py) and what they may do to the
organizations on it (tenants.py). Everything here is for platform admins only; the pages and API routes answer
404 to anyone else (permissions.require_platform_admin)."""
