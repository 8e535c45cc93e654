.PHONY: setup run test test-fast bench bench-page bench-state
setup:
	scripts/setup.sh --test
run:
	scripts/run.sh
test:
	scripts/test.sh
# Without the browser tests: quick feedback while developing.
test-fast:
	scripts/test.sh -m "not browser"
# Ticket rush on PostgreSQL: raw driver, service layer, HTTP API with 1 and several workers;
# then the public event page's speed in Chromium (LCP, JavaScript downloaded), phone and desktop.
bench:
	scripts/setup.sh --test && .venv/bin/python bench/rush.py
	scripts/chromium.sh && .venv/bin/python bench/page_speed.py
# Only the page speed (SQLite; no PostgreSQL or Redis needed).
bench-page:
	scripts/setup.sh --test && scripts/chromium.sh && .venv/bin/python bench/page_speed.py
# Page state (websocket bytes) and time to content at scale: 308 events, one with 100,000 tickets (SQLite).
bench-state:
	scripts/setup.sh --test && scripts/chromium.sh && .venv/bin/python bench/page_state.py
