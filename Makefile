# callwake — common tasks. Everything here is plain `go` underneath, so a
# machine with only Go installed can run the same commands by hand.

GO      ?= go
FUZZTIME ?= 20s

.PHONY: all build test generate bench fuzz lint scenarios coverage docs ci hostile

all: lint build test

build:
	$(GO) build ./...

test:
	$(GO) test ./...

# Regenerates the H.225.0 and H.245 codecs from ../shared/reference; the output is
# committed and must be reproduced byte for byte.
generate:
	$(GO) generate ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# A short run of every fuzz target (go test runs one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

scenarios:
	$(GO) run ./cmd/pbxsim run scenarios/

# Regenerates docs/coverage.md (which scenarios cover which behaviour rows);
# a test fails when the committed page is out of date.
coverage:
	$(GO) run ./cmd/pbxsim coverage scenarios/ > docs/coverage.md.tmp || { rm -f docs/coverage.md.tmp; exit 1; }
	mv docs/coverage.md.tmp docs/coverage.md

# Regenerates what is derived from the event catalogue (scenario/expect_catalogue.go):
# the events table of docs/scenario-format.md and the expectation items of the
# JSON Schema; tests fail when either is out of date.
docs:
	$(GO) test ./scenario -run '^TestEventCatalogueDocs$$' -update
	$(GO) test ./schema -run '^TestSchemaExpectationFromCatalogue$$' -update

# Replays the attacks of a stranger on the network (issue 16) against a
# registered phonesim on loopback: junk, forged and swept RAS, IRQ
# reflection, the H.235 hash bomb, a stranger's Setup, half-open and
# slowloris connections, an oversized TPKT (cmd/phonesim/hostile_test.go).
# HOSTILE_SHORT=1 runs smaller floods, as CI does.
HOSTILE_SHORT ?=
hostile:
	HOSTILE=1 HOSTILE_SHORT=$(HOSTILE_SHORT) $(GO) test -count=1 -run '^TestHostile$$' -v ./cmd/phonesim

ci:
	bash .ci/run
