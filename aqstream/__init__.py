"""AqStream: an open-source, self-hosted event platform."""
