# The README's commands. Everything runs from the project's own .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STEDI_LANDING ?= data/landing
STEDI_DUCKDB ?= data/stedi.duckdb
SAMPLE_CUSTOMERS ?= 1000
SAMPLE_SEED ?= 42
TARGET ?= local
export STEDI_LANDING STEDI_DUCKDB
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)
export STEDI_TARGET := $(TARGET)
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

.PHONY: setup setup-spark run test lint docs report bench upload-landing iam-policy clean \
	spark-cluster-up spark-cluster-down spark-cluster-status spark-cluster-check

# Installs the pinned requirements and the httpfs extension from its wheel.
setup: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m stedi.extensions
	touch $@

# Adds dbt-spark and pyspark (about 500 MB; Java 17 must be installed) for TARGET=spark.
setup-spark: $(VENV)/.spark-installed
$(VENV)/.spark-installed: $(VENV)/.installed requirements-spark.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-spark.txt
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

# Generates sample landing data when the landing folder is empty, then builds every zone.
run: $(ENGINE_SETUP)
	$(BIN)/python -m stedi.generate --if-empty --out "$(STEDI_LANDING)" --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) > /dev/null
	$(BIN)/dbt build
	$(BIN)/python -m stedi.report

# Every test: dbt data and unit tests (inside pytest's builds), pytest, sqlfluff and ruff,
# and the Spark parity tests (so the Spark requirements are installed first).
test: setup setup-spark
	$(BIN)/pytest

lint: setup
	$(BIN)/sqlfluff lint
	$(BIN)/ruff check stedi tests/python
	$(BIN)/ruff format --check stedi tests/python

docs: $(ENGINE_SETUP)
	$(BIN)/python -m stedi.generate --if-empty --out "$(STEDI_LANDING)" --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) > /dev/null
	$(BIN)/dbt docs generate
	$(BIN)/dbt docs serve --host 127.0.0.1 --port $${DOCS_PORT:-8080} --no-browser

report: $(ENGINE_SETUP)
	$(BIN)/python -m stedi.report

# Build time against landing size: make bench SIZES="956 10000 100000 1000000"
SIZES ?= 956 10000 100000
SPARK_MAX ?= 10000
# the spark_cluster column needs `make spark-cluster-up` first
SPARK_CLUSTER_MAX ?= 10000
bench: setup
	$(BIN)/python -m stedi.bench --sizes $(SIZES) --spark-max $(SPARK_MAX) --spark-cluster-max $(SPARK_CLUSTER_MAX)

# Upload a local landing folder (default: the sample data) to S3: make upload-landing S3_LANDING=s3://bucket/prefix
upload-landing: setup
	@test -n "$(S3_LANDING)" || { echo "Set S3_LANDING=s3://bucket/prefix"; exit 2; }
	$(BIN)/python -m stedi.generate --if-empty --out "$(STEDI_LANDING)" --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) > /dev/null
	$(BIN)/python -m stedi.aws upload "$(STEDI_LANDING)" "$(S3_LANDING)"

# The least-privilege IAM policy for your buckets: make iam-policy LANDING=s3://… LAKE=s3://…
iam-policy: setup
	$(BIN)/python -m stedi.aws policy --landing "$(LANDING)" --lake "$(LAKE)"

clean:
	rm -rf target logs data
