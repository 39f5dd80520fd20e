# utcp build. Out of tree, under $(BUILD) (default build/).
#
#   make          the library build/libutcp.a, the tool build/utcp (-O2) and
#                 build/libutcp_packetdrill.so (docs/PACKETDRILL.md)
#   make run      build, then the main job: the lab tour on the simulated network
#   make test     build and run every test: optimised, under ASan+UBSan,
#                 a clang -Werror build, the command-line tests, and the
#                 interop tests (utcp on TAP/TUN against the Linux kernel, in
#                 network namespaces; each is skipped, with the reason, unless
#                 root and /dev/net/tun: docs/REAL_LINKS.md)
#
# Variant builds reuse this file: `make BUILD=build/asan SAN=1 tests`.

CC ?= cc
BUILD ?= build
SAN ?=
OPT ?= -O2

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wformat=2
CPPFLAGS := -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L
# -fPIC: the library's objects also go into libutcp_packetdrill.so.
CFLAGS := -std=c11 $(OPT) -g $(WARN) -fno-strict-aliasing -fPIC -MMD -MP
LDLIBS := -lm -ldl -lpthread

ifeq ($(SAN),1)
CFLAGS := -std=c11 -O1 -g $(WARN) -fno-strict-aliasing -fPIC -MMD -MP \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRCS := $(sort $(wildcard src/*/*.c))
TOOL_SRCS := $(sort $(wildcard tools/*.c tools/lab/*.c))
TEST_SRCS := $(sort $(wildcard tests/*.c tests/*/*.c))
PD_SRCS := $(sort $(wildcard tools/packetdrill/*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)
PD_OBJS := $(PD_SRCS:%.c=$(BUILD)/obj/%.o)

LIB := $(BUILD)/libutcp.a
UTCP := $(BUILD)/utcp
TESTS := $(BUILD)/tests/utcp_tests
PD_SO := $(BUILD)/libutcp_packetdrill.so

.PHONY: all run test tests unit-tests check-clang cli-tests interop-tests clean format
all: $(LIB) $(UTCP) $(PD_SO)

# Objects depend on this file too: a change of flags (such as -fPIC, which
# the shared library needs) must rebuild them.
$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(UTCP): $(TOOL_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $(TOOL_OBJS) $(LIB) $(LDLIBS) -o $@

# The packetdrill adapter: only packetdrill_interface_init (and a flag
# checker) is exported; the library inside stays private to it.
$(PD_OBJS): CFLAGS += -fvisibility=hidden
$(PD_SO): $(PD_OBJS) $(LIB)
	$(CC) -shared $(LDFLAGS) -Wl,--exclude-libs,ALL $(PD_OBJS) $(LIB) $(LDLIBS) -o $@

$(TESTS): $(TEST_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(TEST_OBJS) $(LIB) $(LDLIBS) -o $@

tests: all $(TESTS)

run: all
	$(UTCP) lab --out $(BUILD)/lab

# The test command of the README. Each step stops the run on failure.
test:
	$(MAKE) tests
	$(TESTS)
	$(MAKE) BUILD=build/asan SAN=1 tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		build/asan/tests/utcp_tests
	$(MAKE) check-clang
	$(MAKE) cli-tests
	$(MAKE) interop-tests

# The library and tools must also build warning-free with clang.
check-clang:
	@if command -v clang >/dev/null 2>&1; then \
		$(MAKE) CC=clang BUILD=build/clang tests; \
	else \
		echo "SKIP clang build: clang is not installed"; \
	fi

CLI_TESTS := $(filter-out tests/cli/lib.sh,$(sort $(wildcard tests/cli/*.sh)))
cli-tests: all
	@set -e; for t in $(CLI_TESTS); do \
		echo "== $$t"; UTCP=$(UTCP) sh $$t; \
	done

INTEROP_TESTS := $(filter-out tests/interop/lib.sh,$(sort $(wildcard tests/interop/*.sh)))
interop-tests: all
	@set -e; for t in $(INTEROP_TESTS); do \
		echo "== $$t"; UTCP=$(UTCP) sh $$t; \
	done

format:
	clang-format -i $(LIB_SRCS) $(TOOL_SRCS) $(TEST_SRCS) include/utcp/*.h src/*/*.h

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(TOOL_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(PD_OBJS:.o=.d)
