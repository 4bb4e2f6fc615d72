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
		   libmsgpack-dev libev-dev check lua-dkjson

WARNINGS	 = -Wall -Wextra -Werror -Wshadow -Wconversion \
		   -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
# Third-party headers are system headers: their inline code is theirs.
DEP_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags lua5.4 libseccomp msgpack 2>/dev/null | sed 's/-I/-isystem /g')
CFLAGS		?= -O2 -g
ALL_CFLAGS	 = -std=gnu11 $(WARNINGS) $(DEP_CFLAGS) -D_FORTIFY_SOURCE=2 \
		   -fstack-protector-strong $(CFLAGS)

SUPERVISOR_LIBS	 = -lev $(shell $(PKG_CONFIG) --libs libseccomp msgpack 2>/dev/null)
# The worker is static: from its first instruction it needs no file, not
# even the dynamic loader's.  (Lua's loadlib.o brings one linker warning
# about dlopen; the sandbox never lets it be called.)
WORKER_LIBS	 = -llua5.4 -lmsgpackc -lm
WORKER_LDFLAGS	 = -static
CHECK_LIBS	:= $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

IPC_SOURCES	 = ipc/buffer.c ipc/wire_decode.c ipc/wire_encode.c
WORKER_SOURCES	 = worker/main.c worker/channel.c worker/log.c \
		   worker/luaenv.c worker/call.c worker/sandbox.c \
		   worker/landlock.c worker/seccomp.c worker/probe.c
# Everything of the supervisor but main.c, so the tests link it too.
CORE_SOURCES	 = supervisor/log.c supervisor/json.c supervisor/reader.c \
		   supervisor/reader_tokens.c supervisor/job.c supervisor/result.c supervisor/plugins.c \
		   supervisor/policy.c supervisor/policy_parse.c \
		   supervisor/spawn.c \
		   supervisor/worker_process.c supervisor/worker_log.c \
		   supervisor/sandbox_report.c supervisor/death.c \
		   supervisor/pool.c \
		   supervisor/dispatch.c supervisor/writer.c \
		   supervisor/input.c supervisor/stats.c supervisor/options.c \
		   supervisor/timing.c \
		   supervisor/setup.c supervisor/resolve.c \
		   supervisor/policy_command.c supervisor/trial.c \
		   supervisor/selftest.c supervisor/check.c
TEST_SOURCES	 = $(wildcard tests/test_*.c) tests/main.c tests/helpers.c

objects		 = $(patsubst %.c,$(1)/%.o,$(2))

.PHONY: all run test test-fast bench clean deps install sanitize
.PHONY: fuzz fuzz-build fuzz-seeds fuzz-deps lint lint-deps lint-tidy valgrind valgrind-deps
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

# For valgrind, which like the sanitizers keeps descriptors and address
# space of its own: the sanitizer build's rlimits and policy, no runtime.
VALGRIND_BUILD	 = $(BUILD)/valgrind
$(eval $(call binaries,$(VALGRIND_BUILD),-DLUAWARD_SANITIZE,$(WORKER_LDFLAGS),$(WORKER_LIBS)))

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
$(FUZZ_BUILD)/obj/%.o: %.c $(wildcard */*.h) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# make lint: cppcheck, then clang-tidy with the checks .clang-tidy lists
# and justifies (tests/.clang-tidy relaxes two for the tests), over every C
# file; any finding fails.  clang-tidy keeps a stamp per file it passed.
LINT_SOURCES	 = $(wildcard ipc/*.c supervisor/*.c worker/*.c tests/*.c \
		   tests/fuzz/*.c bench/*.c)
CLANG_TIDY	?= clang-tidy
TIDY_FLAGS	 = -std=gnu11 $(DEP_CFLAGS)
# cppcheck: warnings, portability and performance (its style findings are
# matters of taste).  Suppressed, with the reason:
#   varFuncNullUB      NULL ends the sentinel-checked argument lists; it is
#                      a pointer on every glibc target
#   readdirCalled, getpwnamCalled
#                      luaward is single-threaded; glibc deprecates readdir_r
#   invalidFunctionArg:worker/probe.c
#                      mmap's fd is -1 with MAP_ANONYMOUS, as POSIX says
#   uninitvar:tests/main.c, ctuuninitvar:tests/dispatch_support.h
#                      arrays filled by the SUITES() X-macro, and a struct
#                      whose address is taken before it is cleared
CPPCHECK_FLAGS	 = --quiet --error-exitcode=1 --inline-suppr --std=c11 \
		   --enable=warning,portability,performance --library=posix \
		   -D__linux__ -D__GNUC__ \
		   --suppress=varFuncNullUB --suppress=readdirCalled \
		   --suppress=getpwnamCalled \
		   --suppress=invalidFunctionArg:worker/probe.c \
		   --suppress=uninitvar:tests/main.c \
		   --suppress=ctuuninitvar:tests/dispatch_support.h

lint-deps: deps
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(LINT_PACKAGES)"

lint: lint-deps
	cppcheck $(CPPCHECK_FLAGS) ipc supervisor worker tests bench
	@$(MAKE) --no-print-directory lint-tidy

lint-tidy: $(patsubst %.c,$(BUILD)/lint/%.tidy,$(LINT_SOURCES))

$(BUILD)/lint/%.tidy: %.c $(wildcard */*.h) $(wildcard tests/fuzz/*.h) \
    .clang-tidy tests/.clang-tidy
	@mkdir -p $(dir $@)
	@echo "clang-tidy $<"
	@$(CLANG_TIDY) --quiet $< -- $(TIDY_FLAGS) 2>/dev/null
	@touch $@

# make valgrind: memcheck (zero errors, no definite leak) of the supervisor
# resolving the bundled plugins and sample pods with real workers, then of
# the test binary on every suite of tests/suites.h but VALGRIND_SKIP: those
# watch workers through pidfd_open(), which valgrind 3.19 does not know.
VALGRIND_SKIP	 = run_edges chaos
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

# Second expansion: each target's own sources and libraries.
.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o \
    $$(call objects,$(FUZZ_BUILD)/obj,$$(call fuzz_sources,$$*))
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
	    $(filter-out %.c,$(FUZZ_EXTRA_$*)) $(SUPERVISOR_LIBS) \
	    $(FUZZ_LIBS_$*)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/luaward/plugins \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/luaward $(BUILD)/luaward-worker $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/luaward.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 policies/worker.policy $(DESTDIR)$(PREFIX)/share/luaward/
	install -m 0644 plugins/*.lua plugins/pods.json $(DESTDIR)$(PREFIX)/share/luaward/plugins/

clean:
	rm -rf $(BUILD)
