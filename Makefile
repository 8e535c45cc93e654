.PHONY: setup run test test-fast
setup:
	scripts/setup.sh --test
run:
	scripts/run.sh
test:
	scripts/test.sh
# Without the browser tests: quick feedback while developing.
test-fast:
	scripts/test.sh -m "not browser"
