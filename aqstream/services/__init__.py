"""Business rules. Plain Python over a DB session; nothing here imports Reflex or FastAPI."""
