"""Local fake servers that speak the payment providers' HTTP APIs, for tests, browser tests and benches
(stripe_server.py: Stripe). Each runs in a thread on 127.0.0.1 and records what it was asked."""
