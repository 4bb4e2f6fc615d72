# luaward: make, make run, make test, make bench, make clean,
# make install, make uninstall.
#
# `make run` and `make test` first make sure the Debian build dependencies
# are installed (installing them with apt-get when run as root).

PREFIX		?= /usr/local
BUILD		?= build
ASAN_BUILD	 = $(BUILD)/sanitize

# Where `make install` puts luaward; DESTDIR stages the files elsewhere
# (a package's tree).  BINDIR, LIBEXECDIR and DATADIR are compiled into
# luaward (supervisor/paths.h), DESTDIR never is: run from a staged tree,
# luaward finds its worker and data in that tree (supervisor/setup.c).
BINDIR		 = $(PREFIX)/bin
LIBEXECDIR	 = $(PREFIX)/libexec/luaward
DATADIR		 = $(PREFIX)/share/luaward
MANDIR		 = $(PREFIX)/share/man
DOCDIR		 = $(PREFIX)/share/doc/luaward
SYSTEMD_UNITDIR	 = $(PREFIX)/lib/systemd/system

CC		?= cc
PKG_CONFIG	?= pkg-config

DEBIAN_PACKAGES	 = gcc make pkg-config liblua5.4-dev libseccomp-dev \
		   libmsgpack-dev libev-dev check lua-dkjson \
		   libmd-dev

# A warning fails `make test`, `make test-fast`, `make sanitize` and CI
# (they set WERROR), never a packager's plain `make` or `make install`.
WERROR		?=
WARNINGS	 = -Wall -Wextra $(WERROR) -Wshadow -Wconversion \
		   -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
# Third-party headers are system headers: their inline code is theirs.
DEP_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags lua5.4 libseccomp msgpack 2>/dev/null | sed 's/-I/-isystem /g')
# CPPFLAGS, CFLAGS and LDFLAGS are the packager's (dpkg-buildflags): they
# come after the project's own, so theirs win; _FORTIFY_SOURCE is set only
# when they do not set it.
CFLAGS		?= -O2 -g
FORTIFY		 = $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2)
PATH_DEFINES	 = -DLUAWARD_BINDIR='"$(BINDIR)"' \
		   -DLUAWARD_LIBEXECDIR='"$(LIBEXECDIR)"' \
		   -DLUAWARD_DATADIR='"$(DATADIR)"'
ALL_CFLAGS	 = -std=gnu11 $(WARNINGS) $(DEP_CFLAGS) $(FORTIFY) \
		   -fstack-protector-strong $(PATH_DEFINES) $(CPPFLAGS) $(CFLAGS)
# Relocations read-only once resolved, all of them at start.
ALL_LDFLAGS	 = -Wl,-z,relro,-z,now $(CFLAGS) $(LDFLAGS)

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
WORKER_SOURCES	+= worker/traceback.c
WORKER_SOURCES	+= worker/heap.c
WORKER_SOURCES	+= worker/precompiled.c
# Everything of the supervisor but main.c, so the tests link it too: the
# shared pieces at the top, then one folder per part (README.md, Layout).
SUPERVISOR_PARTS = commands input engine spawn daemon output policy
CORE_SOURCES	 = supervisor/log.c supervisor/json.c supervisor/options.c \
		   supervisor/setup.c supervisor/timing.c supervisor/closed_pipe.c \
		   $(foreach d,$(SUPERVISOR_PARTS),$(wildcard supervisor/$(d)/*.c)) \
		   $(CONTROL_SOURCES)
# The control socket's codec: the daemon's and its clients', not the worker's.
CONTROL_SOURCES	 = ipc/control_encode.c ipc/control_decode.c
TEST_SOURCES	 = $(wildcard tests/test_*.c) tests/main.c tests/helpers.c
# The dkjson differential suite runs both decoders in the test binary.
TEST_SOURCES	+= worker/dkjson_native.c
TEST_SOURCES	+= worker/heap.c
TEST_SOURCES	+= worker/precompiled.c
CHECK_LIBS	+= $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null) -lm

objects		 = $(patsubst %.c,$(1)/%.o,$(2))

.PHONY: all run test test-fast test-slow bench clean deps install uninstall sanitize
.PHONY: fuzz fuzz-build fuzz-seeds fuzz-deps lint lint-deps lint-tidy valgrind valgrind-deps
.PHONY: FORCE
.PHONY: deepflow-argument-data
.DELETE_ON_ERROR:

all: $(BUILD)/luaward $(BUILD)/luaward-worker

# --- the two binaries, normal and sanitized ---------------------------------

define binaries
$(1)/%.o: %.c $$(wildcard */*.h */*/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) -c -o $$@ $$<

$(1)/luaward: $$(call objects,$(1),supervisor/main.c $$(CORE_SOURCES) $$(IPC_SOURCES))
	$$(CC) $$(ALL_LDFLAGS) $(2) -o $$@ $$^ $$(SUPERVISOR_LIBS)

$(1)/luaward-worker: $$(call objects,$(1),$$(WORKER_SOURCES) $$(IPC_SOURCES))
	$$(CC) $$(ALL_LDFLAGS) $(2) $(3) -o $$@ $$^ $(4)

$(1)/luaward-tests: $$(call objects,$(1),$$(TEST_SOURCES) $$(CORE_SOURCES) $$(IPC_SOURCES)) $(1)/fake-worker
	$$(CC) $$(ALL_LDFLAGS) $(2) -o $$@ $$(filter %.o,$$^) $$(SUPERVISOR_LIBS) $$(CHECK_LIBS)

$(1)/fake-worker: $$(call objects,$(1),tests/fake_worker.c $$(IPC_SOURCES))
	$$(CC) $$(ALL_LDFLAGS) $(2) -o $$@ $$^ -lmsgpackc

$$(call objects,$(1),$$(PATH_USERS)): $(BUILD)/paths
endef

# The objects that compile the installation paths in are built again when
# the paths change (`make`, then `make install PREFIX=/usr`).
PATH_USERS	 = supervisor/setup.c supervisor/options.c tests/test_install.c \
		   tests/test_startup_errors.c

$(BUILD)/paths: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(BINDIR)' '$(LIBEXECDIR)' '$(DATADIR)' | \
	    cmp -s - $@ || printf '%s\n' '$(BINDIR)' '$(LIBEXECDIR)' \
	    '$(DATADIR)' > $@

SANITIZE_FLAGS	 = -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer -DLUAWARD_SANITIZE

$(eval $(call binaries,$(BUILD),,$(WORKER_LDFLAGS),$(WORKER_LIBS)))
# Sanitizer runtimes cannot be linked statically: that worker is dynamic.
$(eval $(call binaries,$(ASAN_BUILD),$(SANITIZE_FLAGS),,-llua5.4 -lmsgpackc -lm))

sanitize: $(ASAN_BUILD)/luaward $(ASAN_BUILD)/luaward-worker $(ASAN_BUILD)/luaward-tests

# The developer's builds fail on a warning (a target's variables reach
# what it builds).
sanitize test-fast: WERROR = -Werror

# For valgrind, which like the sanitizers keeps descriptors and address
# space of its own: the sanitizer build's rlimits and policy, no runtime.
VALGRIND_BUILD	 = $(BUILD)/valgrind
$(eval $(call binaries,$(VALGRIND_BUILD),-DLUAWARD_SANITIZE,$(WORKER_LDFLAGS),$(WORKER_LIBS)))

# dkjson.lua compiled at build time, for worker/precompiled.c (no file: no
# chunk, and workers compile it as before).
DKJSON_LUA	 = /usr/share/lua/5.4/dkjson.lua
$(BUILD)/gen/precompiled_chunk.h: worker/chunk_gen.c $(wildcard $(DKJSON_LUA))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $(BUILD)/gen/chunk-gen $< \
	    $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null)
	$(BUILD)/gen/chunk-gen dkjson $(DKJSON_LUA) > $@
$(BUILD)/worker/precompiled.o $(ASAN_BUILD)/worker/precompiled.o: \
    $(BUILD)/gen/precompiled_chunk.h
$(BUILD)/worker/precompiled.o $(ASAN_BUILD)/worker/precompiled.o: \
    ALL_CFLAGS += -I$(BUILD)/gen

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
	$(BUILD)/luaward resolve --plugins plugins --fallback owner --stats \
	    examples/pods.json

# Both passes always run, and the end says how each went: a failure in the
# first must not hide what the second would have found.  The slowest cases
# (tagged "slow") run in the sanitizer pass of `make test-slow` only.
SANITIZER_ENV	 = LUAWARD_BUILD=$(ASAN_BUILD) ASAN_OPTIONS=detect_leaks=1 \
		   UBSAN_OPTIONS=print_stacktrace=1

test: deps
	@$(MAKE) --no-print-directory WERROR=-Werror all $(BUILD)/luaward-tests
	@$(MAKE) --no-print-directory WERROR=-Werror sanitize
	@optimised=passed; sanitized=passed; \
	echo "== tests (optimised build) =="; \
	LUAWARD_BUILD=$(BUILD) $(BUILD)/luaward-tests || optimised=FAILED; \
	echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer) =="; \
	CK_EXCLUDE_TAGS=slow $(SANITIZER_ENV) $(ASAN_BUILD)/luaward-tests || \
	    sanitized=FAILED; \
	echo "== optimised build: $$optimised; sanitizer build: $$sanitized =="; \
	[ $$optimised = passed ] && [ $$sanitized = passed ]

# The sanitizer pass of the cases `make test` leaves out for time.
test-slow: deps
	@$(MAKE) --no-print-directory WERROR=-Werror sanitize
	CK_INCLUDE_TAGS=slow $(SANITIZER_ENV) $(ASAN_BUILD)/luaward-tests

# Only the optimised build: quicker, for the edit-compile-test loop.
test-fast: all $(BUILD)/luaward-tests
	LUAWARD_BUILD=$(BUILD) $(BUILD)/luaward-tests

# make bench [BENCH_QUICK=1] [PERF=1]: see bench/README.md.
bench:
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(DEBIAN_PACKAGES) time"
	@$(MAKE) --no-print-directory all $(BUILD)/genpods $(BUILD)/bench/reference \
	    $(BUILD)/bench/roundtrip
	BENCH_QUICK=$(BENCH_QUICK) PERF=$(PERF) bench/run $(BUILD)

$(BUILD)/genpods: bench/genpods.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

$(BUILD)/bench/roundtrip: $(call objects,$(BUILD),bench/roundtrip.c \
    supervisor/commands/client.c supervisor/log.c supervisor/closed_pipe.c \
    supervisor/output/sanitize.c supervisor/json.c \
    $(IPC_SOURCES) $(CONTROL_SOURCES))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lmsgpackc

$(BUILD)/bench/reference: bench/reference.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs lua5.4)

# --- fuzzing, memory checking, lint -------------------------------------------
#
# make fuzz [FUZZ_SECONDS=N]: every libFuzzer target tests/fuzz/fuzz_NAME.c,
# built with clang under ASan and UBSan into $(FUZZ_BUILD), runs N seconds
# from a scratch copy of its seed corpus tests/fuzz/corpus/NAME/ (and from
# what earlier runs found, kept in $(FUZZ_BUILD)/run/NAME/corpus); a crash
# fails the run and names its reproducer.  A target links the supervisor's
# CORE_SOURCES and IPC_SOURCES; per target, optionally:
#   FUZZ_SOURCES_NAME  sources instead of those (e.g. the worker's)
#   FUZZ_EXTRA_NAME    more sources (any word not ending in .c goes to the
#                      linker)
#   FUZZ_LIBS_NAME     more libraries or linker flags
#   FUZZ_ARGS_NAME     more libFuzzer flags (a dictionary NAME.dict or
#                      fuzz_NAME.dict beside the target is used without one)
# Each package list is installed as `make deps` installs the build's.

FUZZ_PACKAGES	 = clang libclang-rt-14-dev
LINT_PACKAGES	 = cppcheck clang-tidy
VALGRIND_PACKAGES = valgrind

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_BUILD	 = $(BUILD)/fuzz
FUZZ_CFLAGS	 = -std=gnu11 $(WARNINGS) $(DEP_CFLAGS) -O1 -g \
		   -fno-omit-frame-pointer -fno-sanitize-recover=all \
		   -fsanitize=fuzzer-no-link,address,undefined
FUZZ_TARGETS	 = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

FUZZ_LIBS_worker_messages = $(CHECK_LIBS)
FUZZ_LIBS_policy = -Wl,--wrap=fopen

fuzz_sources	 = $(or $(FUZZ_SOURCES_$(1)),$(CORE_SOURCES) $(IPC_SOURCES)) \
		   $(filter %.c,$(FUZZ_EXTRA_$(1)))

fuzz-deps: deps
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(FUZZ_PACKAGES)"

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	$(foreach t,$(FUZZ_TARGETS),FUZZ_ARGS_$(t)='$(FUZZ_ARGS_$(t))') \
	    tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

# The seed corpora in the tree, written by the project's own encoders.
fuzz-seeds: $(BUILD)/fuzz-seeds
	$(BUILD)/fuzz-seeds tests/fuzz/corpus

$(BUILD)/fuzz-seeds: $(call objects,$(BUILD),tests/fuzz/seeds.c $(IPC_SOURCES))
	$(CC) -o $@ $^ -lmsgpackc

# Reached only through the pattern rule below, these objects would be
# deleted as intermediate files after every link.
.PRECIOUS: $(FUZZ_BUILD)/obj/%.o
$(FUZZ_BUILD)/obj/%.o: %.c $(wildcard */*.h */*/*.h) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# make lint: cppcheck, then clang-tidy with the checks .clang-tidy lists
# and justifies (tests/.clang-tidy relaxes two for the tests), over every C
# file; any finding fails.  clang-tidy keeps a stamp per file it passed.
LINT_SOURCES	 = $(wildcard ipc/*.c supervisor/*.c supervisor/*/*.c worker/*.c tests/*.c \
		   tests/fuzz/*.c bench/*.c)
CLANG_TIDY	?= clang-tidy
TIDY_FLAGS	 = -std=gnu11 $(DEP_CFLAGS) -I$(BUILD)/gen
# cppcheck: warnings, portability and performance (its style findings are
# matters of taste).  Suppressed, with the reason:
#   varFuncNullUB      NULL ends the sentinel-checked argument lists; it is
#                      a pointer on every glibc target
#   readdirCalled, getpwnamCalled, getpwuidCalled, getgrnamCalled,
#   getgrgidCalled     luaward is single-threaded; glibc deprecates readdir_r
#   invalidFunctionArg:worker/probe.c, tests/soak/soak.c,
#   tests/test_serve_churn.c
#                      mmap's fd is -1 with MAP_ANONYMOUS, as POSIX says
#   uninitvar:tests/main.c, ctuuninitvar:tests/dispatch_support.h,
#   uninitvar:tests/store_support.h, uninitvar:tests/serve_support.h
#                      arrays filled by the SUITES() X-macro or a loop, and
#                      a struct whose address is taken before it is cleared
#   nullPointer:tests/*
#                      a test checks a pointer with ck_assert, which ends
#                      the test; cppcheck does not know that
CPPCHECK_FLAGS	 = --quiet --error-exitcode=1 --inline-suppr --std=c11 \
		   --enable=warning,portability,performance --library=posix \
		   -D__linux__ -D__GNUC__ \
		   --suppress=varFuncNullUB --suppress=readdirCalled \
		   --suppress=getpwnamCalled --suppress=getpwuidCalled \
		   --suppress=getgrnamCalled --suppress=getgrgidCalled \
		   --suppress=invalidFunctionArg:worker/probe.c \
		   --suppress=invalidFunctionArg:tests/soak/soak.c \
		   --suppress=invalidFunctionArg:tests/test_serve_churn.c \
		   --suppress=uninitvar:tests/main.c \
		   --suppress=ctuuninitvar:tests/dispatch_support.h \
		   --suppress=uninitvar:tests/store_support.h \
		   --suppress=uninitvar:tests/serve_support.h \
		   --suppress='nullPointer:tests/*'

lint-deps: deps
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(LINT_PACKAGES)"

lint: lint-deps
	cppcheck $(CPPCHECK_FLAGS) ipc supervisor worker tests bench
	@$(MAKE) --no-print-directory lint-tidy

lint-tidy: $(patsubst %.c,$(BUILD)/lint/%.tidy,$(LINT_SOURCES))

$(BUILD)/lint/%.tidy: %.c $(wildcard */*.h */*/*.h) $(wildcard tests/fuzz/*.h) \
    .clang-tidy tests/.clang-tidy
	@mkdir -p $(dir $@)
	@echo "clang-tidy $<"
	@$(CLANG_TIDY) --quiet $< -- $(TIDY_FLAGS) 2>/dev/null
	@touch $@
# worker/precompiled.c includes the chunk the build generates.
$(BUILD)/lint/worker/precompiled.tidy: $(BUILD)/gen/precompiled_chunk.h

# make valgrind: memcheck (zero errors, no definite leak) of the supervisor
# resolving the bundled plugins and sample pods with real workers, then of
# the test binary on every suite of tests/suites.h but VALGRIND_SKIP: those
# watch workers through pidfd_open(), which valgrind 3.19 does not know.
VALGRIND_SKIP	 = run_edges chaos worker_identity
VALGRIND_SUITES	 = $(filter-out $(VALGRIND_SKIP),$(patsubst X(%),%, \
		   $(shell grep -o 'X([a-z0-9_]*)' tests/suites.h)))

valgrind-deps: deps
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(VALGRIND_PACKAGES)"

valgrind: valgrind-deps
	@$(MAKE) --no-print-directory $(VALGRIND_BUILD)/luaward \
	    $(VALGRIND_BUILD)/luaward-worker $(VALGRIND_BUILD)/luaward-tests \
	    $(VALGRIND_BUILD)/seccomp-api.so
	tests/valgrind $(VALGRIND_BUILD) $(VALGRIND_SUITES)

$(VALGRIND_BUILD)/seccomp-api.so: tests/valgrind_seccomp.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -fPIC -o $@ $< -lseccomp

# The worker's build-time chunk, as the other builds have it.
$(VALGRIND_BUILD)/worker/precompiled.o: $(BUILD)/gen/precompiled_chunk.h
$(VALGRIND_BUILD)/worker/precompiled.o: ALL_CFLAGS += -I$(BUILD)/gen

# Second expansion: each target's own sources and libraries.
.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o \
    $$(call objects,$(FUZZ_BUILD)/obj,$$(call fuzz_sources,$$*))
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
	    $(filter-out %.c,$(FUZZ_EXTRA_$*)) $(SUPERVISOR_LIBS) \
	    $(FUZZ_LIBS_$*)
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


# --- install ------------------------------------------------------------------

$(BUILD)/luaward.service: dist/luaward.service.in $(BUILD)/paths
	sed -e 's|@BINDIR@|$(BINDIR)|g' $< > $@

# What earlier versions installed where it no longer belongs: the worker
# among the commands, the sample pods among the plugins.
OLD_FILES	 = $(BINDIR)/luaward-worker $(DATADIR)/plugins/pods.json

install: all $(BUILD)/luaward.service
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(DATADIR)/plugins $(DESTDIR)$(DATADIR)/examples \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(SYSTEMD_UNITDIR)
	rm -f $(addprefix $(DESTDIR),$(OLD_FILES))
	install -m 0755 $(BUILD)/luaward $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/luaward-worker $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 policies/worker.policy $(DESTDIR)$(DATADIR)/
	install -m 0644 plugins/*.lua plugins/tests.jsonl $(DESTDIR)$(DATADIR)/plugins/
	install -m 0644 examples/pods.json $(DESTDIR)$(DATADIR)/examples/
	install -m 0644 docs/luaward.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(BUILD)/luaward.service $(DESTDIR)$(SYSTEMD_UNITDIR)/

# Only what install put there, and the directories that are luaward's
# alone once empty; never the state directory /var/lib/luaward.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/luaward \
	    $(DESTDIR)$(LIBEXECDIR)/luaward-worker \
	    $(DESTDIR)$(DATADIR)/worker.policy \
	    $(addprefix $(DESTDIR)$(DATADIR)/,$(wildcard plugins/*.lua)) \
	    $(DESTDIR)$(DATADIR)/plugins/tests.jsonl \
	    $(DESTDIR)$(DATADIR)/examples/pods.json \
	    $(DESTDIR)$(MANDIR)/man1/luaward.1 \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,README.md $(notdir $(wildcard docs/*.md))) \
	    $(DESTDIR)$(SYSTEMD_UNITDIR)/luaward.service \
	    $(addprefix $(DESTDIR),$(OLD_FILES))
	rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/plugins \
	    $(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(DOCDIR) 2>/dev/null || true

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
