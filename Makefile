# tvp: one non-recursive Makefile.
#
#   make            build build/tvp
#   make test       install missing packages, build and run every test
#   make bench      install missing packages, build, run the default suite
#   make check      the tests again under ASan+UBSan and under TSan
#   make plot       charts for results/latest.json (PLOT_IN, PLOT_OUT)
#   make demo       a short classroom session (docs/CLASSROOM.md)
#   make install    install tvp, its data, man page and bash completion
#                   (PREFIX=/usr/local, DESTDIR, bindir, datadir, mandir)
#   make uninstall  remove what make install put there
#   make install-check  install with PREFIX=/usr into a scratch DESTDIR and
#                   use the installed tvp from another directory
#   make clean      remove build/
#
# CPPFLAGS, CFLAGS and LDFLAGS from the environment or the command line are
# added to tvp's own (so dpkg-buildflags' hardening reaches every object).
# Before anything is compiled, scripts/build-deps.sh checks that pkg-config
# finds the libraries and prints the apt-get line for any that are missing.
#
# Objects go out of tree: build/ by default, build/asan and build/tsan for
# the sanitizer builds (SAN=address,undefined or SAN=thread).  Every .c under
# par/, bench/, workloads/ and demos/ is part of the program; bench/main.c
# alone is left out of the libraries the tests link against. Each
# tests/test_*.c is a test binary; every other .c in tests/ is a test helper,
# in build/tests/libtvptest.a. So adding a module, a test or a test helper
# means adding a file, never editing this one.

CC      ?= cc
SAN     ?=
BUILD   ?= build
QUICK   ?=
PKGS    := hwloc jansson

# The version is the VERSION file's; the revision is git's when this tree
# is a git checkout of its own, else "release" (a tarball has no history,
# and a tarball unpacked inside another repository must not take its
# revision).
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
IN_GIT   := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && echo yes)
GIT_REV  := $(if $(IN_GIT),$(shell git rev-parse --short=12 HEAD)$(shell git diff --quiet HEAD || echo -dirty),release)

# Installation directories, GNU and Debian style.
PREFIX      ?= /usr/local
prefix      ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir      ?= $(exec_prefix)/bin
datarootdir ?= $(prefix)/share
datadir     ?= $(datarootdir)
mandir      ?= $(datarootdir)/man
docdir      ?= $(datarootdir)/doc/tvp
bashcompdir ?= $(datarootdir)/bash-completion/completions
pkgdatadir  := $(datadir)/tvp
INSTALL     ?= install

CSTD     := -std=c11
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wundef -Wvla -Wno-unused-parameter
OPT      ?= -O2 -g
DEFS     := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE \
            -DTVP_VERSION='"$(VERSION)"' \
            -DTVP_CFLAGS='"$(OPT) $(SANFLAGS) $(CFLAGS)"' -DTVP_SAN='"$(SAN)"'
INCS     := -I. -I$(BUILD)

ifneq ($(SAN),)
  SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer
  OPT      := -O1 -g
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

ALL_CFLAGS  = $(CSTD) $(WARN) $(OPT) $(DEFS) $(INCS) $(CPPFLAGS) $(PKG_CFLAGS) $(SANFLAGS) -pthread -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) -pthread $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lm -lrt

# The runtime (par/) is a library of its own, libtvp.a: pools, executor,
# channels, placement, the task ABI. It includes nothing from the driver.
# Everything else but bench/main.c is libtvpdrv.a, which the tests link too.
PAR_SRCS  := $(sort $(wildcard par/*.c))
PAR_OBJS  := $(PAR_SRCS:%.c=$(BUILD)/%.o)
MAIN_SRC  := bench/main.c
DRV_SRCS  := $(filter-out $(MAIN_SRC),$(sort $(wildcard bench/*.c bench/*/*.c workloads/*.c demos/*.c)))
DRV_OBJS  := $(DRV_SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  := $(PAR_OBJS) $(DRV_OBJS)
LIBS_A    := $(BUILD)/libtvpdrv.a $(BUILD)/libtvp.a
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
THELP_SRCS := $(filter-out $(TEST_SRCS),$(sort $(wildcard tests/*.c)))
THELP_OBJS := $(THELP_SRCS:%.c=$(BUILD)/%.o)
TEST_LIB  := $(BUILD)/tests/libtvptest.a
TVP       := $(BUILD)/tvp

.PHONY: all test check bench plot demo clean deps install uninstall build-deps build-deps-check install-check FORCE
.SECONDARY:
.DEFAULT_GOAL := all

all: $(TVP)

deps:
	@sh scripts/deps.sh

$(BUILD)/libtvp.a: $(PAR_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libtvpdrv.a: $(DRV_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(TVP): $(BUILD)/bench/main.o $(LIBS_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Every compile waits for the library check (order-only: it touches no file).
build-deps:
	@sh scripts/build-deps.sh $(PKGS)
build-deps-check:
	@sh scripts/build-deps.sh $(PKGS) check

$(BUILD)/%.o: %.c | build-deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c | build-deps-check
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

# The test helpers (testutil.c, the shared pool cases, the workload test
# kit): an archive, so each binary takes only the helpers it calls.
$(TEST_LIB): $(THELP_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_LIB) $(LIBS_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# ---- OpenMP and Open MPI (issue 18): the omp and mpi modes ----------------
# The omp mode (bench/modes/omp.c) is the only file compiled with -fopenmp,
# and only when the compiler has it; libgomp is then linked. The mpi mode's
# rank program, build/tvp-mpi-worker (mpi/worker.c), is built with Open
# MPI's flags only when Open MPI is installed (pkg-config ompi, else mpicc
# --showme); tvp itself never links MPI. The registry lists each mode only
# when it was built (TVP_HAVE_OMP, TVP_HAVE_MPI).
# Not under TSan: libgomp is not built with it, so its own synchronisation
# looks like races and its team outlives a release (the TSan build has no
# omp mode, as a compiler without OpenMP would).
HAVE_OMP := $(if $(findstring thread,$(SAN)),,$(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo 1))
MPI_CFLAGS := $(shell pkg-config --cflags ompi 2>/dev/null || mpicc --showme:compile 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi 2>/dev/null || mpicc --showme:link 2>/dev/null)
HAVE_MPI   := $(if $(MPI_LIBS),1)
MPI_WORKER := $(BUILD)/tvp-mpi-worker
OMP_OBJS   := $(BUILD)/bench/modes/omp.o $(BUILD)/bench/overhead/omp.o
ifeq ($(HAVE_OMP),1)
$(OMP_OBJS): override CFLAGS += -fopenmp
$(BUILD)/bench/modes/registry.o $(BUILD)/bench/overhead/registry.o $(BUILD)/bench/overhead/handoff.o: override CFLAGS += -DTVP_HAVE_OMP
LIBS += -fopenmp
endif
ifeq ($(HAVE_MPI),1)
$(BUILD)/bench/modes/registry.o $(BUILD)/bench/overhead/registry.o $(BUILD)/bench/overhead/handoff.o: override CFLAGS += -DTVP_HAVE_MPI
$(BUILD)/mpi/%.o: override CFLAGS += $(MPI_CFLAGS)
$(MPI_WORKER): $(BUILD)/mpi/worker.o $(LIBS_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MPI_LIBS) $(LIBS)
all: $(MPI_WORKER)
$(TEST_BINS): | $(MPI_WORKER)
endif
# The flags each object was built with are not tracked: a change of the
# toolchain above needs `make clean`.

# The git revision lives in a generated header, rewritten only when it
# changes, so that every object that reports it is rebuilt then (a -D flag
# would leave old objects with an old revision).
GITREV_H := $(BUILD)/gitrev.h
$(GITREV_H): FORCE
	@mkdir -p $(@D)
	@echo '#define TVP_GIT_REV "$(GIT_REV)"' > $@.tmp
	@echo '#define TVP_DATADIR "$(pkgdatadir)"' >> $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
$(LIB_OBJS) $(BUILD)/bench/main.o: | $(GITREV_H)

# The tests run in a fixed order, each binary under Check with a per-test
# timeout; scripts/run-tests.sh adds up the results into one closing line.
test: deps
	@$(MAKE) --no-print-directory $(TVP) $(TEST_BINS)
	@TVP_BIN=$(abspath $(TVP)) TVP_ROOT=$(CURDIR) sh scripts/run-tests.sh $(TEST_BINS)

check: deps
	$(MAKE) --no-print-directory test BUILD=build/asan SAN=address,undefined
	$(MAKE) --no-print-directory test BUILD=build/tsan SAN=thread

# tvp bench (the suite planned within a budget: BUDGET=300s to change it,
# QUICK=1 for about a minute), tvp overhead, the charts and the findings.
bench: deps
	@$(MAKE) --no-print-directory $(TVP)
	sh scripts/bench.sh $(if $(QUICK),--quick) $(if $(BUDGET),--budget $(BUDGET))

# Every chart for a results file (PLOT_IN, default results/latest.json) and
# the overhead-latest.json beside it, into PLOT_OUT (default results/charts):
# tvp plot.
plot: deps
	@$(MAKE) --no-print-directory $(TVP)
	$(TVP) plot "$(or $(PLOT_IN),results/latest.json)" --out "$(or $(PLOT_OUT),results/charts)"

# A classroom session: a few lessons, a quick bench,
# the report and the charts (docs/CLASSROOM.md).
demo: deps
	@$(MAKE) --no-print-directory $(TVP)
	sh scripts/demo.sh

# What is installed: the binary; under $(pkgdatadir) the data it reads at
# run time, in the same folders as in the tree (workloads/python, scripts
# for the charts, docs/schema), so one lookup serves both; the man page, the
# bash completion, README and LICENSE.
DATA_FILES := $(wildcard workloads/python/*.py) $(wildcard scripts/*.gp) scripts/plot.sh \
              $(wildcard docs/schema/*.json)

install: $(TVP)
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(bashcompdir) $(DESTDIR)$(docdir)
	$(INSTALL) -m 755 $(TVP) $(DESTDIR)$(bindir)/tvp
	for f in $(DATA_FILES); do \
		$(INSTALL) -d $(DESTDIR)$(pkgdatadir)/$$(dirname $$f) && \
		$(INSTALL) -m 644 $$f $(DESTDIR)$(pkgdatadir)/$$f || exit 1; \
	done
	$(INSTALL) -m 644 docs/tvp.1 $(DESTDIR)$(mandir)/man1/tvp.1
	$(INSTALL) -m 644 scripts/tvp.bash-completion $(DESTDIR)$(bashcompdir)/tvp
	$(INSTALL) -m 644 README.md LICENSE $(DESTDIR)$(docdir)

# Builds in its own folder, since PREFIX=/usr compiles in another datadir.
install-check:
	sh scripts/install-check.sh PREFIX=/usr BUILD=build/install-check

uninstall:
	rm -f $(DESTDIR)$(bindir)/tvp $(DESTDIR)$(mandir)/man1/tvp.1 $(DESTDIR)$(bashcompdir)/tvp
	rm -rf $(DESTDIR)$(pkgdatadir) $(DESTDIR)$(docdir)

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(BUILD)/bench/main.d $(BUILD)/mpi/worker.d $(TEST_BINS:=.d) $(THELP_OBJS:.o=.d)
