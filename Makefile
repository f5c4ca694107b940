# ethaudit - PGXS build.  `make && make install`, then see README.md.

EXTENSION = ethaudit
EXTVERSION = 0.7.0

MODULE_big = ethaudit
CORE_SRCS = $(sort $(wildcard src/core/*.c))
OBJS = src/ethaudit.o src/host.o src/state.o src/state_json.o src/state_debug.o \
	src/state_twosample.o src/state_categorical.o src/state_average.o \
	src/state_group_calibration.o src/state_baseline_build.o \
	src/state_baseline.o src/state_calibration_counts.o src/state_group_counts.o src/state_expected.o \
	src/baseline_capture.o src/integer_labels.o src/evidence_guard.o src/owner_exec.o \
	$(CORE_SRCS:.c=.o)

# The install script is assembled from one file per concern.
# the aggregates, one file per state: its support functions, then its aggregates
SQL_PARTS = src/sql/header.sql src/sql/aggregates.sql src/sql/state_twosample.sql src/sql/state_categorical.sql \
	src/sql/state_average.sql src/sql/state_expected.sql src/sql/state_calibration_counts.sql src/sql/state_group_calibration.sql \
	src/sql/state_group_counts.sql src/sql/state_baseline.sql src/sql/drift_report.sql
# governance and security come after the metrics they use, one file per
# table or concern, each table with its triggers, policies and grants; a
# part comes after those whose tables, types and SQL functions it uses
SQL_PARTS += src/sql/sources.sql src/sql/audit_recording.sql src/sql/models.sql src/sql/checks.sql \
	src/sql/metric_catalog.sql src/sql/thresholds.sql src/sql/stored_baselines.sql src/sql/roles.sql \
	src/sql/keys.sql src/sql/audit_chain.sql src/sql/results.sql src/sql/runner.sql \
	src/sql/monitoring.sql src/sql/alerts.sql src/sql/privacy.sql src/sql/decisions.sql \
	src/sql/retention.sql src/sql/dashboards.sql src/sql/evidence_guard.sql
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# released install scripts, kept as shipped, and the reviewed upgrade scripts (doc/releasing.md)
DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# pg_regress suites: test/sql/<name>.sql, compared with test/expected/<name>.out
REGRESS = test_setup drift_reference drift_edge calibration fairness parallel window \
	state_validation real_data metric_family baseline numeric_edges \
	governance_registry governance_runner governance_alerts governance_trigger governance_views \
	security_audit security_privacy governance_versions governance_history estimated_performance drift_report distributed
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

PG_CPPFLAGS = -I$(srcdir)/src

EXTRA_CLEAN = test/unit/*.bin

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# supported majors: 15 and later, tested on 15, 17 and 18 (README.md, META.json)
PG_VERSION_STRING := $(shell $(PG_CONFIG) --version)
PG_MAJOR := $(shell echo '$(PG_VERSION_STRING)' | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
ifeq ($(PG_MAJOR),)
$(error cannot run $(PG_CONFIG): set PG_CONFIG to the pg_config of the PostgreSQL to build for)
endif
ifneq ($(shell test $(PG_MAJOR) -ge 15 && echo supported),supported)
$(error ethaudit needs PostgreSQL 15 or later; $(PG_CONFIG) is $(PG_VERSION_STRING))
endif
ifeq ($(filter $(PG_MAJOR),15 17 18),)
$(warning PostgreSQL $(PG_MAJOR) is not among the tested majors (15, 17, 18))
endif
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

# every object is rebuilt when a header changes (the core inlines hot paths)
$(OBJS): $(wildcard src/*.h src/core/*.h)

# C unit tests of the numeric core: no server needed.
UNIT_TESTS = $(patsubst %.c,%.bin,$(wildcard test/unit/test_*.c))
UNIT_CFLAGS = -std=c99 -O2 -g -Wall -Wextra -Werror -fno-strict-aliasing -Isrc/core

test/unit/%.bin: test/unit/%.c test/unit/alloc_malloc.c $(CORE_SRCS) $(wildcard src/core/*.h) test/unit/unit.h
	$(CC) $(UNIT_CFLAGS) -o $@ $< test/unit/alloc_malloc.c $(CORE_SRCS) -lm

unitcheck: $(UNIT_TESTS)
	prove --exec '' $(UNIT_TESTS)

# Coverage-guided fuzzing of the state decoders and finals under ASan and
# UBSan (clang-14, libclang-rt-14-dev), FUZZ_SECONDS per target; prints TAP.
FUZZ_SECONDS ?= 20
fuzzcheck:
	FUZZ_SECONDS=$(FUZZ_SECONDS) test/fuzz/run.sh

# pgTAP suites, against the server in PGHOST/PGPORT (e.g. inside pg_virtualenv)
prove:
	pg_prove --ext .sql test/pgtap/

# the demo audit on real data, in a throwaway cluster
demo: all
	$(MAKE) install
	pg_virtualenv -t -v $(MAJORVERSION) test/demo/run.sh

.PHONY: unitcheck fuzzcheck prove demo
