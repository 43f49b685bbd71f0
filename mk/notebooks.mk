# The data engineer's notebooks (notebooks/*.ipynb), executed against a folder of job outputs.
#
#   make notebooks                            explore-release, augmentation and compare-runs on
#                                             MEDVQA_OUT (default $(WORK)/demo), written as
#                                             $(NOTEBOOKS_OUT)/<name>.html; fails when a cell fails
#   make notebooks MEDVQA_OUT=work/runs-2019 NOTEBOOKS_OUT=work/notebooks-2019
#
# Debian's Python runs them (jupyter-nbconvert, python3-pandas, python3-matplotlib), not the first
# python3 on PATH. Debian 12 packages no Parquet reader for Python (no python3-pyarrow or
# python3-fastparquet), so the notebooks export each Parquet table once as JSON lines with the
# jobs' own Spark (notebooks/ParquetToJson.java on the built jar, cached in $(NOTEBOOKS_OUT)/cache):
# the jar must be built (make build).
WORK ?= work
SYSTEM_PYTHON ?= /usr/bin/python3
MEDVQA_OUT ?= $(WORK)/demo
NOTEBOOKS_OUT ?= $(WORK)/notebooks
NOTEBOOKS ?= explore-release augmentation compare-runs
NBCONVERT ?= /usr/bin/jupyter-nbconvert
NOTEBOOK_TIMEOUT ?= 1200

.PHONY: notebooks notebooks-deps

notebooks-deps:
	@if ! test -x $(NBCONVERT) || \
	    ! $(SYSTEM_PYTHON) -c 'import pandas, matplotlib, PIL, ipykernel, nbconvert' 2>/dev/null; then \
	  echo "installing Debian's jupyter-nbconvert, python3-ipykernel, python3-pandas, python3-matplotlib"; \
	  (apt-get update -qq && apt-get install -y -qq jupyter-nbconvert python3-ipykernel \
	    python3-pandas python3-matplotlib) >/dev/null; fi

# The kernel is Debian's python3 kernelspec (/usr/share/jupyter/kernels/python3, from
# python3-ipykernel). PYDEVD_DISABLE_FILE_VALIDATION silences the debugger's frozen-modules notice.
notebooks: notebooks-deps
	@test -f jobs/target/medvqa-jobs.jar || { echo "jobs/target/medvqa-jobs.jar is not built: run 'make build' (the notebooks read Parquet with it)"; exit 2; }
	@test -d $(MEDVQA_OUT) || { echo "no job outputs at $(MEDVQA_OUT): run 'make demo' or set MEDVQA_OUT"; exit 2; }
	@mkdir -p $(NOTEBOOKS_OUT)
	@for nb in $(NOTEBOOKS); do \
	  start=$$(date +%s); \
	  MEDVQA_OUT=$(abspath $(MEDVQA_OUT)) MEDVQA_NB_CACHE=$(abspath $(NOTEBOOKS_OUT))/cache \
	  PYDEVD_DISABLE_FILE_VALIDATION=1 $(NBCONVERT) --log-level=WARN --to html --execute \
	    --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=$(NOTEBOOK_TIMEOUT) \
	    --output-dir $(abspath $(NOTEBOOKS_OUT)) notebooks/$$nb.ipynb || exit 1; \
	  echo "notebooks: $(NOTEBOOKS_OUT)/$$nb.html ($$(( $$(date +%s) - start )) s)"; \
	done
