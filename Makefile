.PHONY: setup run test test-fast bench
setup:
	scripts/setup.sh --test
run:
	scripts/run.sh
test:
	scripts/test.sh
# Without the browser tests: quick feedback while developing.
test-fast:
	scripts/test.sh -m "not browser"
# Ticket rush on PostgreSQL: raw driver, service layer, HTTP API with 1 and several workers.
bench:
	scripts/setup.sh --test && .venv/bin/python bench/rush.py
