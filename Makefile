# SPDX-License-Identifier: GPL-2.0
# cgwarden build.  `make` builds build/cgwarden; `make test` runs every test;
# `make deps` installs the Debian packages the project needs.

# SANITIZE=1: agent, unit and integration tests with ASan+UBSan, built in
# their own directory so that they never mix with the normal objects.
SANITIZE   ?= 0
ifeq ($(SANITIZE),1)
OUTPUT     ?= build/san
endif
OUTPUT     ?= build
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
PKG_CONFIG ?= pkg-config
V          ?= 0
VERSION    := 0.1.0

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ifeq ($(wildcard vmlinux/$(ARCH)/vmlinux.h),)
$(error unsupported ARCH '$(ARCH)': no vmlinux/$(ARCH)/vmlinux.h (run 'make vmlinux' on a kernel of that architecture with BTF))
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# WERROR=1 (developers, CI) turns warnings into errors, for userspace, the
# BPF object and the fuzz targets alike.  Off by default, so that a newer
# compiler in a distribution rebuild warns instead of failing.
WERROR ?= 0
ifeq ($(WERROR),1)
WERROR_FLAG := -Werror
endif

# Userspace: strict warnings, static-friendly.  STATIC=1 links everything
# statically (used for the qemu initramfs).  CFLAGS, CPPFLAGS and LDFLAGS
# from the environment (dpkg-buildflags under dpkg-buildpackage) reach the
# userspace compile and link only, never the BPF compile, whose target is
# not the host's.  CFLAGS replace -g -O2 only: the project's own flags are
# added by override.
CFLAGS   ?= -g -O2
override CFLAGS += -Wall -Wextra $(WERROR_FLAG) -std=gnu11 -D_GNU_SOURCE -DCGW_VERSION=\"$(VERSION)\"
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
override CFLAGS += $(SAN_FLAGS)
override LDFLAGS += $(SAN_FLAGS)
endif
CPPFLAGS += -Iuser -Ibpf -I$(OUTPUT)
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
INIH_LIBS   := $(shell $(PKG_CONFIG) --libs inih 2>/dev/null || echo -linih)
CAP_LIBS    := $(shell $(PKG_CONFIG) --libs libcap 2>/dev/null || echo -lcap)
# sd_notify (Type=notify units): libsystemd when pkg-config finds it.  The
# static build (STATIC=1, the qemu initramfs) goes without: Debian ships no
# libsystemd.a, and no systemd runs there.  user/notify.c is a no-op then.
ifneq ($(STATIC),1)
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)
endif
ifneq ($(SYSTEMD_LIBS),)
override CPPFLAGS += -DHAVE_LIBSYSTEMD
endif
MHD_LIBS     := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd) -lpthread
ifeq ($(STATIC),1)
# libelf.a needs zlib and zstd.  -static also goes into CFLAGS because the
# unit-test link rule does not use LDFLAGS (-static is ignored with -c).
# Debian ships no libcmocka.a: build one from the cmocka source package
# (scripts/install-deps installs it as /usr/local/lib/libcmocka.a).
override LDFLAGS += -static
override CFLAGS  += -static
LIBBPF_LIBS := -lbpf -lelf -lz -lzstd
INIH_LIBS   := -linih
# no metrics endpoint: libmicrohttpd.a needs static TLS libraries Debian
# does not all ship (user/metrics.c, CGW_NO_METRICS)
MHD_LIBS    := -lpthread
override CFLAGS += -DCGW_NO_METRICS
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall $(WERROR_FLAG) \
	-Ivmlinux/$(ARCH) -Ibpf -mcpu=v3

# Pure-C modules (no libbpf): policy, config, units, cgroup file helpers.
# They are what the cmocka unit tests link against.
CORE_SRCS := $(sort $(wildcard user/core/*.c))
CORE_OBJS := $(patsubst user/core/%.c,$(OUTPUT)/core/%.o,$(CORE_SRCS))
# Agent modules that talk to libbpf.
AGENT_SRCS := $(sort $(wildcard user/*.c))
AGENT_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(AGENT_SRCS))
AGENT_LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(AGENT_OBJS))

BPF_SRCS := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
INTEG_SRCS := $(sort $(wildcard tests/integration/test_*.c))
INTEG_BINS := $(patsubst tests/integration/%.c,$(OUTPUT)/tests/%,$(INTEG_SRCS))
INTEG_LIB_SRCS := $(filter-out $(INTEG_SRCS),$(wildcard tests/integration/*.c))
INTEG_LIB_OBJS := $(patsubst tests/integration/%.c,$(OUTPUT)/tests/lib/%.o,$(INTEG_LIB_SRCS))
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUTPUT)/tests/%,$(HELPER_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean deps test test-unit test-integration test-vm vmlinux format demo bench kernel-table \
	man check install uninstall

all: $(OUTPUT)/cgwarden man

$(OUTPUT) $(OUTPUT)/core $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/tests/lib:
	$(Q)mkdir -p $@

# --- BPF ---------------------------------------------------------------
$(OUTPUT)/%.tmp.bpf.o: bpf/%.bpf.c bpf/*.h $(wildcard vmlinux/$(ARCH)/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.bpf.o: $(OUTPUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- userspace -----------------------------------------------------------
$(OUTPUT)/core/%.o: user/core/%.c user/core/*.h bpf/cgwarden.h | $(OUTPUT)/core
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Iuser/core $(CFLAGS) -c $< -o $@

$(OUTPUT)/user/%.o: user/%.c user/*.h user/core/*.h bpf/cgwarden.h $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Iuser/core $(CFLAGS) -c $< -o $@

$(OUTPUT)/cgwarden: $(AGENT_OBJS) $(CORE_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) $(INIH_LIBS) $(CAP_LIBS) $(SYSTEMD_LIBS) $(MHD_LIBS) -lz -lm -o $@

# --- man pages (scdoc) ---------------------------------------------------
SCDOC    ?= scdoc
MAN_SRCS := $(sort $(wildcard doc/*.scd))
MAN_PAGES := $(patsubst doc/%.scd,$(OUTPUT)/man/%,$(MAN_SRCS))

$(OUTPUT)/man:
	$(Q)mkdir -p $@

$(OUTPUT)/man/%: doc/%.scd | $(OUTPUT)/man
	$(call msg,SCDOC,$@)
	$(Q)$(SCDOC) <$< >$@

man: $(MAN_PAGES)

# --- tests ---------------------------------------------------------------
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Iuser/core $(CFLAGS) $^ $(INIH_LIBS) -lcmocka -lz -lm -o $@

$(OUTPUT)/tests/lib/%.o: tests/integration/%.c tests/integration/*.h $(SKELS) | $(OUTPUT)/tests/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Iuser/core -Itests/integration $(CFLAGS) -c $< -o $@

$(OUTPUT)/tests/test_%: tests/integration/test_%.c $(INTEG_LIB_OBJS) $(AGENT_LIB_OBJS) $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Iuser/core -Itests/integration $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) $(INIH_LIBS) $(CAP_LIBS) $(SYSTEMD_LIBS) $(MHD_LIBS) -lcmocka -lpthread -lz -lm -o $@

# Benchmarks (scripts/bench): real cgroups, the agent, the polling agent.
$(OUTPUT)/tests/cgw-bench: tests/bench/cgw-bench.c $(INTEG_LIB_OBJS) $(AGENT_LIB_OBJS) $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Iuser/core -Itests/integration $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) $(INIH_LIBS) $(CAP_LIBS) $(SYSTEMD_LIBS) $(MHD_LIBS) -lpthread -lz -lm -o $@

$(OUTPUT)/tests/cgw-empty: tests/helpers/cgw-empty.c $(OUTPUT)/empty.bpf.o | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBBPF_LIBS) -lz -o $@

$(OUTPUT)/tests/%: tests/helpers/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -lpthread -lm -o $@

tests-build: $(OUTPUT)/cgwarden $(UNIT_BINS) $(INTEG_BINS) $(HELPER_BINS)

# The integration tests run the agent and helpers of this build.
export CGW_BUILD := $(OUTPUT)

test-unit: $(UNIT_BINS)
	$(Q)scripts/run-tests unit $(UNIT_BINS)

# What needs no root (dh_auto_test runs it in the package build): the unit
# tests, and the man pages against --help and the config parser.
check: test-unit $(OUTPUT)/cgwarden man
	$(Q)scripts/check-docs $(OUTPUT)/cgwarden $(OUTPUT)/man

test-integration: $(OUTPUT)/cgwarden $(INTEG_BINS) $(HELPER_BINS)
	$(Q)scripts/run-tests integration $(INTEG_BINS)

# --- fuzzing (libFuzzer) ------------------------------------------------
# One target per parser of untrusted input, seeds in tests/fuzz/<target>/.
# `make fuzz` fuzzes each for FUZZ_SECONDS (new inputs go to
# $(OUTPUT)/fuzz/corpus-<target>, crashes to $(OUTPUT)/fuzz/); `make
# fuzz-replay` runs the seed corpus once (CI).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra $(WERROR_FLAG) -std=gnu11 -D_GNU_SOURCE -DCGW_VERSION=\"$(VERSION)\"

$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(CORE_SRCS) user/core/*.h | $(OUTPUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -Iuser/core -Ibpf -Itests/fuzz $< $(CORE_SRCS) $(INIH_LIBS) -lz -lm -o $@

.PHONY: fuzz fuzz-replay
fuzz: $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do \
		mkdir -p $(OUTPUT)/fuzz/corpus-$$t || exit 1; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(OUTPUT)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-artifact_prefix=$(OUTPUT)/fuzz/$$t- -print_final_stats=1 \
			$(OUTPUT)/fuzz/corpus-$$t tests/fuzz/$$t || exit 1; \
	done

fuzz-replay: $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do \
		echo "fuzz-replay: $$t"; \
		$(OUTPUT)/fuzz/fuzz_$$t -runs=0 tests/fuzz/$$t || exit 1; \
	done

# Statically linked agent, tests and helpers in $(OUTPUT)/static, for the
# qemu initramfs (the guest has no shared libraries).
.PHONY: tests-build-static
tests-build-static:
	$(Q)echo 'int main(void) { return 0; }' | \
		$(CC) -static -x c - -lcmocka -o /dev/null 2>/dev/null || { \
		echo 'tests-build-static: no static libcmocka.a (Debian ships only the shared one): run scripts/install-deps' >&2; \
		exit 1; }
	$(Q)$(MAKE) --no-print-directory STATIC=1 OUTPUT=$(OUTPUT)/static tests-build

# The qemu kernel matrix (scripts/test-vm; TEST_VM_KERNELS: default generic rt).
TEST_VM_KERNELS ?=
test-vm: tests-build-static
	$(Q)OUTPUT=$(OUTPUT) scripts/test-vm $(TEST_VM_KERNELS)

# N boots of each guest, each starting and stopping the agent on every
# window clock; any hang fails (scripts/test-vm-stress).  Too slow for
# `make test`: about 25 s a boot.
N ?= 20
.PHONY: test-vm-stress
test-vm-stress: tests-build-static
	$(Q)OUTPUT=$(OUTPUT) scripts/test-vm-stress -n $(N) $(TEST_VM_KERNELS)

# TEST_VM=0 skips the qemu kernel matrix; `make test-vm` runs it alone.
# Both parts run even when the first fails; `make test` fails if either did.
TEST_VM ?= 1
# The README's kernel table is checked against what the matrix tested.
test: tests-build man
	$(Q)rc=0; \
	RESULTS=$(OUTPUT)/host-results.txt \
		scripts/run-tests all $(UNIT_BINS) -- $(INTEG_BINS) || rc=1; \
	scripts/check-docs $(OUTPUT)/cgwarden $(OUTPUT)/man || rc=1; \
	if [ "$(TEST_VM)" != 0 ]; then \
		$(MAKE) --no-print-directory test-vm || rc=1; \
		scripts/kernel-table --check README.md $(OUTPUT)/host-results.txt \
			$(OUTPUT)/vm/results.txt || rc=1; \
	fi; \
	exit $$rc

# Rewrites the README's kernel table from the last `make test`.
kernel-table:
	$(Q)scripts/kernel-table $(OUTPUT)/host-results.txt $(OUTPUT)/vm/results.txt >$(OUTPUT)/kernel-table.md
	$(Q)awk -v t=$(OUTPUT)/kernel-table.md \
		'/<!-- kernel-table -->/ { print; while ((getline l < t) > 0) print l; skip = 1; next } \
		 /<!-- \/kernel-table -->/ { skip = 0 } !skip' README.md >README.md.new && mv README.md.new README.md

deps:
	scripts/install-deps

# --- install ---------------------------------------------------------------
# GNU names; DESTDIR for staged installs (debian/rules).  The unit goes
# where systemd looks for units, as its pkg-config file says.
PREFIX     ?= /usr/local
prefix     ?= $(PREFIX)
exec_prefix ?= $(prefix)
sbindir    ?= $(exec_prefix)/sbin
datadir    ?= $(prefix)/share
mandir     ?= $(datadir)/man
sysconfdir ?= /etc
unitdir    ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
bashcompdir ?= $(or $(shell $(PKG_CONFIG) --variable=completionsdir bash-completion 2>/dev/null),$(datadir)/bash-completion/completions)
INSTALL    ?= install

# The config is a conffile: an existing one is never overwritten.
install: $(OUTPUT)/cgwarden man
	$(INSTALL) -D -m 0755 $(OUTPUT)/cgwarden $(DESTDIR)$(sbindir)/cgwarden
	$(INSTALL) -D -m 0644 $(OUTPUT)/man/cgwarden.8 $(DESTDIR)$(mandir)/man8/cgwarden.8
	$(INSTALL) -D -m 0644 $(OUTPUT)/man/cgwarden.conf.5 $(DESTDIR)$(mandir)/man5/cgwarden.conf.5
	$(INSTALL) -d $(DESTDIR)$(unitdir)
	sed 's|@sbindir@|$(sbindir)|g; s|@sysconfdir@|$(sysconfdir)|g' \
		systemd/cgwarden.service.in >$(DESTDIR)$(unitdir)/cgwarden.service
	chmod 0644 $(DESTDIR)$(unitdir)/cgwarden.service
	$(INSTALL) -D -m 0644 contrib/bash-completion/cgwarden $(DESTDIR)$(bashcompdir)/cgwarden
	[ -e $(DESTDIR)$(sysconfdir)/cgwarden/cgwarden.conf ] || \
		$(INSTALL) -D -m 0644 examples/cgwarden.conf $(DESTDIR)$(sysconfdir)/cgwarden/cgwarden.conf

# Leaves the config (it may hold the operator's edits) and /run.
uninstall:
	rm -f $(DESTDIR)$(sbindir)/cgwarden \
		$(DESTDIR)$(mandir)/man8/cgwarden.8 \
		$(DESTDIR)$(mandir)/man5/cgwarden.conf.5 \
		$(DESTDIR)$(unitdir)/cgwarden.service \
		$(DESTDIR)$(bashcompdir)/cgwarden

# The README's first command: a live scenario on real cgroups (the
# study; `make demo DEMO=latency`: a latency promise, max_wait).
demo: $(OUTPUT)/cgwarden $(HELPER_BINS)
	scripts/demo $(DEMO)

# Benchmarks (issue 5, docs/performance.md): `make bench`, or one part:
# `make bench BENCH=latency` (latency compare overhead scale rest accuracy
# latency-promise).
BENCH ?=
bench: $(OUTPUT)/cgwarden $(HELPER_BINS) $(OUTPUT)/tests/cgw-bench
	$(Q)BUILD=$(OUTPUT) scripts/bench $(BENCH)

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux_$$(uname -r | cut -d. -f1-2).h
	ln -sf vmlinux_$$(uname -r | cut -d. -f1-2).h vmlinux/$(ARCH)/vmlinux.h

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h user/core/*.c user/core/*.h tests/*/*.c tests/*/*.h

clean:
	rm -rf $(OUTPUT)
