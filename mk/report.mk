# The run report (bin/medvqa report): <run>/report.html with its charts and thumbnails in <run>/report/.
#
#   make report-deps                          Debian's chromium, for jobs' ReportJobTest, which renders a
#                                             report in headless Chromium and checks the screenshot (the
#                                             test skips with a message where chromium is missing)
#   make report RUN=work/runs-2019/vqa-run1   the report of one run folder (the jar must be built)
#   make reports RUNS=work/runs-2019          the report of every run folder below RUNS (one with
#                                             predictions/ or a metrics.json); a leaderboard links the
#                                             sibling reports that exist when its page is written
CHROMIUM ?= chromium
RUNS ?= $(WORK)/runs-2019

.PHONY: report-deps report reports

report-deps:
	@if ! command -v $(CHROMIUM) >/dev/null 2>&1; then \
	  echo "installing Debian's chromium (headless screenshots of the run report)"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; fi

report:
	@test -n "$(RUN)" || { echo "name the run folder: make report RUN=<folder>"; exit 2; }
	@test -f jobs/target/medvqa-jobs.jar || { echo "jobs/target/medvqa-jobs.jar is not built: run 'make build'"; exit 2; }
	bin/medvqa report --set medvqa.report.run=$(RUN)

reports:
	@test -f jobs/target/medvqa-jobs.jar || { echo "jobs/target/medvqa-jobs.jar is not built: run 'make build'"; exit 2; }
	@for d in $(RUNS)/*/; do \
	  if [ -d "$$d/predictions" ] || [ -f "$$d/metrics.json" ]; then \
	    bin/medvqa report --set medvqa.report.run=$${d%/} || exit 1; fi; \
	done
