# supportd — build, test and run.
#
#   make demo    the whole loop on loopback with embedded mail servers
#   make test    vet, race-enabled tests, a short fuzz run, the demo with --exit
#   make bench   the benchmarks (ingest, restatement, acknowledgement latency)
#   make e2e     against Dovecot and Postfix from Debian (installs them)

GO      ?= go
PREFIX  ?= /usr/local
DESTDIR ?=
BIN     := bin/supportd
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# Go from the official tarball lives here; Debian's golang package is on PATH.
export PATH := $(PATH):/usr/local/go/bin
export CGO_ENABLED := 1

.PHONY: all build test vet fuzz bench run demo demo-check e2e install clean deps

all: build

deps:
	@command -v $(GO) >/dev/null || { echo "Go 1.26 or newer is needed: https://go.dev/doc/install (or Debian's golang-go from backports)"; exit 1; }
	@command -v gcc >/dev/null || { echo "installing gcc for the SQLite driver (cgo)"; apt-get update -qq && apt-get install -y -qq gcc libc6-dev; }
	$(GO) mod download

build: deps
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/supportd

vet: deps
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

test: vet
	$(GO) test -race -shuffle=on -timeout 20m ./...
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory demo-check

# A few seconds of fuzzing on the seed corpus, so the targets never rot.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 5s ./mail

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

run: build
	$(BIN) run --config $(or $(CONFIG),/etc/supportd/supportd.toml)

demo: build
	$(BIN) demo

# The demo's scripted scenario, ending with a non-zero status if a step did not happen.
demo-check: build
	$(BIN) demo --exit --speed 43200

e2e: build
	bash test/e2e/run.sh

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/supportd
	install -d $(DESTDIR)/lib/systemd/system
	sed "s|/usr/local/bin/|$(PREFIX)/bin/|g" systemd/supportd.service > $(DESTDIR)/lib/systemd/system/supportd.service
	install -D -m 0644 systemd/supportd.sysusers $(DESTDIR)/usr/lib/sysusers.d/supportd.conf
	install -D -m 0644 systemd/supportd.tmpfiles $(DESTDIR)/usr/lib/tmpfiles.d/supportd.conf
	install -D -m 0640 config/supportd.example.toml $(DESTDIR)/etc/supportd/supportd.toml.example

clean:
	rm -rf bin
