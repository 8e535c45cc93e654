"""REST API v1 and the browser's cookie routes, served by the Reflex backend through api_transformer."""
