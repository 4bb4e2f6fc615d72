# luaward: make, make run, make test, make bench, make clean.
#
# `make run` and `make test` first make sure the Debian build dependencies
# are installed (installing them with apt-get when run as root).

PREFIX		?= /usr/local
BUILD		?= build
ASAN_BUILD	 = $(BUILD)/sanitize

CC		?= cc
PKG_CONFIG	?= pkg-config

DEBIAN_PACKAGES	 = gcc make pkg-config liblua5.4-dev libseccomp-dev \
		   libmsgpack-dev libev-dev check lua-dkjson \
		   libmd-dev

WARNINGS	 = -Wall -Wextra -Werror -Wshadow -Wconversion \
		   -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
# Third-party headers are system headers: their inline code is theirs.
DEP_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags lua5.4 libseccomp msgpack 2>/dev/null | sed 's/-I/-isystem /g')
CFLAGS		?= -O2 -g
ALL_CFLAGS	 = -std=gnu11 $(WARNINGS) $(DEP_CFLAGS) -D_FORTIFY_SOURCE=2 \
		   -fstack-protector-strong $(CFLAGS)

SUPERVISOR_LIBS	 = -lev $(shell $(PKG_CONFIG) --libs libseccomp msgpack 2>/dev/null) -lmd
# The worker is static: from its first instruction it needs no file, not
# even the dynamic loader's.  It is a static position-independent
# executable, so address-space randomisation moves its code and data on
# every start as it would for a dynamic binary.
WORKER_LIBS	 = -llua5.4 -lmsgpackc -lm
WORKER_LDFLAGS	 = -static-pie
CHECK_LIBS	:= $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

IPC_SOURCES	 = ipc/buffer.c ipc/wire_decode.c ipc/wire_encode.c ipc/codec.c
WORKER_SOURCES	 = worker/main.c worker/channel.c worker/log.c \
		   worker/luaenv.c worker/call.c worker/sandbox.c \
		   worker/landlock.c worker/seccomp.c worker/probe.c
WORKER_SOURCES	+= worker/dkjson_native.c
# Everything of the supervisor but main.c, so the tests link it too.
CORE_SOURCES	 = supervisor/log.c supervisor/json.c supervisor/reader.c \
		   supervisor/reader_tokens.c supervisor/job.c supervisor/result.c supervisor/plugins.c \
		   supervisor/policy.c supervisor/policy_parse.c \
		   supervisor/spawn.c supervisor/spawn_child.c \
		   supervisor/worker_uids.c supervisor/worker_seen.c \
		   supervisor/worker_process.c supervisor/worker_log.c \
		   supervisor/sandbox_report.c supervisor/death.c \
		   supervisor/plugin.c supervisor/chain.c supervisor/engine.c supervisor/session.c \
		   supervisor/validate.c supervisor/daemon.c supervisor/connection.c \
		   supervisor/listener.c supervisor/serve.c supervisor/metrics.c \
		   supervisor/client.c supervisor/client_commands.c \
		   supervisor/dispatch.c supervisor/writer.c \
		   supervisor/input.c supervisor/stats.c supervisor/options.c \
		   supervisor/timing.c \
		   supervisor/setup.c supervisor/resolve.c \
		   supervisor/policy_command.c supervisor/trial.c \
		   supervisor/selftest.c supervisor/check.c \
		   supervisor/sanitize.c supervisor/json_tree.c supervisor/owner.c \
		   supervisor/deepflow_argument.c \
		   supervisor/store.c supervisor/store_format.c supervisor/store_io.c \
		   $(CONTROL_SOURCES)
# The control socket's codec: the daemon's and its clients', not the worker's.
CONTROL_SOURCES	 = ipc/control_encode.c ipc/control_decode.c
TEST_SOURCES	 = $(wildcard tests/test_*.c) tests/main.c tests/helpers.c
# The dkjson differential suite runs both decoders in the test binary.
TEST_SOURCES	+= worker/dkjson_native.c
CHECK_LIBS	+= $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null) -lm

objects		 = $(patsubst %.c,$(1)/%.o,$(2))

.PHONY: all run test test-fast bench clean deps install sanitize
.PHONY: deepflow-argument-data
.DELETE_ON_ERROR:

all: $(BUILD)/luaward $(BUILD)/luaward-worker

# --- the two binaries, normal and sanitized ---------------------------------

define binaries
$(1)/%.o: %.c $$(wildcard */*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) -c -o $$@ $$<

$(1)/luaward: $$(call objects,$(1),supervisor/main.c $$(CORE_SOURCES) $$(IPC_SOURCES))
	$$(CC) $(2) -o $$@ $$^ $$(SUPERVISOR_LIBS)

$(1)/luaward-worker: $$(call objects,$(1),$$(WORKER_SOURCES) $$(IPC_SOURCES))
	$$(CC) $(2) $(3) -o $$@ $$^ $(4)

$(1)/luaward-tests: $$(call objects,$(1),$$(TEST_SOURCES) $$(CORE_SOURCES) $$(IPC_SOURCES)) $(1)/fake-worker
	$$(CC) $(2) -o $$@ $$(filter %.o,$$^) $$(SUPERVISOR_LIBS) $$(CHECK_LIBS)

$(1)/fake-worker: $$(call objects,$(1),tests/fake_worker.c $$(IPC_SOURCES))
	$$(CC) $(2) -o $$@ $$^ -lmsgpackc
endef

SANITIZE_FLAGS	 = -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer -DLUAWARD_SANITIZE

$(eval $(call binaries,$(BUILD),,$(WORKER_LDFLAGS),$(WORKER_LIBS)))
# Sanitizer runtimes cannot be linked statically: that worker is dynamic.
$(eval $(call binaries,$(ASAN_BUILD),$(SANITIZE_FLAGS),,-llua5.4 -lmsgpackc -lm))

sanitize: $(ASAN_BUILD)/luaward $(ASAN_BUILD)/luaward-worker $(ASAN_BUILD)/luaward-tests

# --- set-up -------------------------------------------------------------------

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
		    grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:$$missing"; \
			apt-get update -qq || true; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			    $$missing || exit 1; \
		else \
			echo "missing Debian packages:$$missing" >&2; \
			echo "install them as root: apt-get install$$missing" >&2; \
			exit 1; \
		fi; \
	fi

# --- the README's two commands --------------------------------------------------

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/luaward resolve --plugins plugins --stats plugins/pods.json

test: deps
	@$(MAKE) --no-print-directory all $(BUILD)/luaward-tests
	@$(MAKE) --no-print-directory sanitize
	@echo "== tests (optimised build) =="
	LUAWARD_BUILD=$(BUILD) $(BUILD)/luaward-tests
	@echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer) =="
	LUAWARD_BUILD=$(ASAN_BUILD) ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 $(ASAN_BUILD)/luaward-tests

# Only the optimised build: quicker, for the edit-compile-test loop.
test-fast: all $(BUILD)/luaward-tests
	LUAWARD_BUILD=$(BUILD) $(BUILD)/luaward-tests

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/genpods
	bench/run $(BUILD)

$(BUILD)/genpods: bench/genpods.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

# The bytes Go's encoding/json makes of the deepflow_argument corpus, as
# DeepFlow's controller does (go-simplejson over encoding/json): checked in,
# so that the tests need no Go; regenerated here when Go is installed.
DEEPFLOW_DATA	 = tests/data/deepflow-argument
GO_ENV		 = GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= \
		   GOCACHE=$(abspath $(BUILD))/gocache

deepflow-argument-data:
	@command -v go >/dev/null && \
	    test -d /usr/share/gocode/src/github.com/bitly/go-simplejson || { \
		echo "needs Go and go-simplejson: apt-get install golang-go" \
		    "golang-github-bitly-go-simplejson-dev" >&2; exit 1; }
	@mkdir -p $(BUILD)
	$(GO_ENV) go build -o $(BUILD)/deepflow-argument-go \
	    tests/go/deepflow_argument.go
	$(BUILD)/deepflow-argument-go -random 2000 1 > $(DEEPFLOW_DATA)/random.jsonl
	for c in cases random; do \
		$(BUILD)/deepflow-argument-go $(DEEPFLOW_DATA)/$$c.jsonl \
		    > $(DEEPFLOW_DATA)/$$c.expected || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/luaward/plugins \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/luaward $(BUILD)/luaward-worker $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/luaward.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 policies/worker.policy $(DESTDIR)$(PREFIX)/share/luaward/
	install -m 0644 plugins/*.lua plugins/pods.json $(DESTDIR)$(PREFIX)/share/luaward/plugins/

clean:
	rm -rf $(BUILD)

# Fuzz target tests/fuzz/fuzz_dkjson.c: its extra sources and libraries.
FUZZ_EXTRA_dkjson = worker/dkjson_native.c $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null) -lm

# make soak SOAK_SECONDS=N: luaward serve under queries, plugin churn and
# worker kills for N seconds, its RSS and descriptors sampled (not part of
# make test).
SOAK_SECONDS	?= 600
.PHONY: soak
soak: all $(BUILD)/luaward-soak
	$(BUILD)/luaward-soak $(BUILD) $(SOAK_SECONDS)

$(BUILD)/luaward-soak: $(wildcard tests/soak/*.c tests/soak/*.h) \
    $(IPC_SOURCES) $(CONTROL_SOURCES) \
    $(wildcard ipc/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c,$^) \
	    $(shell $(PKG_CONFIG) --libs msgpack 2>/dev/null)
