# The README's commands. Everything runs from the project's own .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Sample data is generated only into SAMPLE_LANDING, and only when STEDI_LANDING is not set:
# a mistyped STEDI_LANDING must fail the build, not be filled with sample customers.
SAMPLE_LANDING ?= data/landing
STEDI_LANDING ?= $(SAMPLE_LANDING)
STEDI_DUCKDB ?= data/stedi.duckdb
SAMPLE_CUSTOMERS ?= 1000
SAMPLE_SEED ?= 42
TARGET ?= local
# Consent policy: strict, or rubric (the course's reading, published under its own names)
POLICY ?= strict
# Both dbt commands of `make run` get the same vars: other vars would make dbt parse again.
POLICY_VARS = --vars '{consent_policy: $(POLICY)}'
export STEDI_LANDING STEDI_DUCKDB
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)
export STEDI_TARGET := $(TARGET)
export STEDI_POLICY := $(POLICY)
# Spark targets get the project's pseudonym key (generated once, stedi/keys.py) unless one is
# set; DuckDB's plugin reads it itself. Expanded when a recipe runs, after setup.
ifneq ($(filter spark%,$(TARGET)),)
export STEDI_PSEUDONYM_KEY ?= $(shell $(BIN)/python -m stedi.keys)
endif
# Spark binds to loopback only (shared/toolchain.md); harmless for DuckDB.
export SPARK_LOCAL_IP := 127.0.0.1
# `make run TARGET=spark` needs the Spark requirements too.
ENGINE_SETUP := setup $(if $(filter spark%,$(TARGET)),setup-spark)
# TARGET=spark_cluster: the Thrift port of the cluster `make spark-cluster-up` started,
# unless STEDI_SPARK_PORT is set; the build stops with one line when none is running.
ifeq ($(TARGET),spark_cluster)
ENGINE_SETUP += spark-cluster-check
ifeq ($(strip $(STEDI_SPARK_PORT)),)
STEDI_SPARK_PORT := $(shell $(BIN)/python -m stedi.spark_cluster port 2>/dev/null)
endif
ifneq ($(strip $(STEDI_SPARK_PORT)),)
export STEDI_SPARK_PORT
endif
endif

SAMPLE_DATA = $(if $(filter file,$(origin STEDI_LANDING)),$(BIN)/python -m stedi.generate --if-empty --out "$(SAMPLE_LANDING)" --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) > /dev/null)

.PHONY: setup setup-spark run test lint docs report bench upload-landing iam-policy clean erase \
	spark-cluster-up spark-cluster-down spark-cluster-status spark-cluster-check

# Installs the pinned requirements and the httpfs extension from its wheel.
setup: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m stedi.extensions
	touch $@

# Adds dbt-spark and pyspark (about 500 MB; Java 17 must be installed) for TARGET=spark,
# and the Hive jar pyspark 4 lacks (stedi/spark_jars.py; a 317 MB download, once).
setup-spark: $(VENV)/.spark-installed
$(VENV)/.spark-installed: $(VENV)/.installed requirements-spark.txt stedi/spark_jars.py
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-spark.txt
	$(BIN)/python -m stedi.spark_jars
	touch $@

# A standalone Spark cluster on 127.0.0.1 (master, 2 workers, Thrift server) for
# TARGET=spark_cluster; state, metastore, warehouse and logs in target/spark-cluster/.
# Sizes: STEDI_SPARK_WORKERS, STEDI_SPARK_WORKER_CORES, STEDI_SPARK_WORKER_MEMORY, … (stedi/spark_cluster.py)
spark-cluster-up: setup setup-spark
	$(BIN)/python -m stedi.spark_cluster up

spark-cluster-down: setup
	$(BIN)/python -m stedi.spark_cluster down

spark-cluster-status: setup
	$(BIN)/python -m stedi.spark_cluster status

# One line instead of dbt-spark's connection error when no Thrift server answers.
spark-cluster-check: setup-spark
	@$(BIN)/python -m stedi.spark_cluster check

# Generates sample landing data into an empty SAMPLE_LANDING (STEDI_LANDING unset), then builds.
run: $(ENGINE_SETUP)
	$(SAMPLE_DATA)
	$(BIN)/dbt run-operation erase_customers $(POLICY_VARS)
	$(BIN)/dbt build $(POLICY_VARS)
	$(BIN)/python -m stedi.report

# Asks for a customer's erasure (docs/erasure.md): make erase EMAIL=someone@example.com.
# The next `make run` carries it out. Not echoed: the e-mail is personal data.
erase: setup
	@$(BIN)/python -m stedi.erasure request "$(EMAIL)"

# Every test: dbt data and unit tests (inside pytest's builds), pytest, sqlfluff and ruff,
# and the Spark parity tests (so the Spark requirements are installed first).
TEST_WORKERS ?= 2
test: setup setup-spark
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

lint: setup
	$(BIN)/sqlfluff lint
	$(BIN)/ruff check stedi bench tests/python
	$(BIN)/ruff format --check stedi bench tests/python

docs: $(ENGINE_SETUP)
	$(SAMPLE_DATA)
	$(BIN)/dbt docs generate --vars '{docs_show_published: true}'
	$(BIN)/dbt docs serve --host 127.0.0.1 --port $${DOCS_PORT:-8080} --no-browser

# Row counts and the quarantine, then where the build's privacy report is (every DuckDB
# `dbt build` writes it beside its database: docs/privacy-report.md); a desktop session opens it.
report: $(ENGINE_SETUP)
	$(BIN)/python -m stedi.report --open

# Build time against landing size: make bench SIZES="956 10000 100000 1000000"
SIZES ?= 956 10000 100000
SPARK_MAX ?= 10000
# the spark_cluster column needs `make spark-cluster-up` first
SPARK_CLUSTER_MAX ?= 10000
bench: setup
	$(BIN)/python bench/run.py --sizes $(SIZES) --spark-max $(SPARK_MAX) --spark-cluster-max $(SPARK_CLUSTER_MAX)

# Upload a local landing folder (default: the sample data) to S3: make upload-landing S3_LANDING=s3://bucket/prefix
upload-landing: setup
	@test -n "$(S3_LANDING)" || { echo "Set S3_LANDING=s3://bucket/prefix"; exit 2; }
	$(SAMPLE_DATA)
	$(BIN)/python -m stedi.aws upload "$(STEDI_LANDING)" "$(S3_LANDING)"

# The least-privilege IAM policy for your buckets: make iam-policy LANDING=s3://… LAKE=s3://…
# ROLE=erasure: the build's policy and what `make run` needs to carry out erasure requests.
# ROLE=data-scientist: read-only, machine_learning_curated's prefix and Glue database alone.
ROLE ?= build
iam-policy: setup
	$(BIN)/python -m stedi.aws policy --role "$(ROLE)" --landing "$(LANDING)" --lake "$(LAKE)"

# Never deletes landing data (data/landing holds the sample data or yours).
clean:
	rm -rf target logs data/lake
	rm -f data/*.duckdb data/*.duckdb.wal data/*.build-lock
