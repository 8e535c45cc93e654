.PHONY: setup run test test-fast bench bench-payments bench-analytics bench-admin bench-admin-export bench-checkin bench-page bench-state
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
# the attendee list and analytics at scale (bench/analytics.py, as bench-analytics);
# the platform admins' organizations list at 10,000 organizations (bench/admin.py, as bench-admin);
# a platform admin's export of an organization of 1,000,000 tickets (bench/admin_export.py, as bench-admin-export);
# check-in at the door: a list of 10,000 tickets downloaded for offline use, 4 devices scanning at 1,000 a minute
# (bench/checkin.py, as bench-checkin);
# then the public event page's speed in Chromium (LCP, JavaScript downloaded), phone and desktop.
bench:
	scripts/setup.sh --test && .venv/bin/python bench/rush.py
	.venv/bin/python bench/admin.py
	.venv/bin/python bench/admin_export.py
	.venv/bin/python bench/checkin.py
	.venv/bin/python bench/payments.py
	scripts/chromium.sh && .venv/bin/python bench/page_speed.py
# Only analytics at the scale of issue 14 (PostgreSQL): one event of 100,000 tickets and a million page views,
# the Analytics tab's data from the aggregate queries against daily counters kept by a domain-event handler
# (read time and the registration rush's write cost), the counting path's cost per view, the organization view.
bench-analytics:
	scripts/setup.sh --test && .venv/bin/python bench/analytics.py
# Only the platform admins' organizations list (PostgreSQL): 10,000 organizations, 30,000 members, 50,000 events
# and 200,000 tickets filled by SQL; the list's first page, searches, sorts and last page, the overview.
bench-admin:
	scripts/setup.sh --test && .venv/bin/python bench/admin.py
# Only the organization export (PostgreSQL): 100,000 then 1,000,000 tickets exported as a streamed ZIP of CSV
# files through the service; rows/s, ZIP size, time and resident memory while streaming (flat), then the deletion.
bench-admin-export:
	scripts/setup.sh --test && .venv/bin/python bench/admin_export.py
# Only check-in at the door (PostgreSQL, HTTP through the production backend): an event of 10,000 tickets; the list
# downloaded for offline use (time, size), 4 devices redeeming 1,000 scans a minute for 60 s
# (AQSTREAM_BENCH_CHECKIN_SECONDS=10 for a quick run), then unpaced on the same tickets; one welcome per ticket checked.
# paid checkouts and provider notifications over HTTP against a fake Stripe (bench/payments.py)
bench-payments:
	scripts/setup.sh --test && .venv/bin/python bench/payments.py

bench-checkin:
	scripts/setup.sh --test && .venv/bin/python bench/checkin.py
# Only the page speed (SQLite; no PostgreSQL or Redis needed).
bench-page:
	scripts/setup.sh --test && scripts/chromium.sh && .venv/bin/python bench/page_speed.py
# Page state (websocket bytes) and time to content at scale: 308 events, one with 100,000 tickets (SQLite).
bench-state:
	scripts/setup.sh --test && scripts/chromium.sh && .venv/bin/python bench/page_state.py
