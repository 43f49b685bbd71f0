# medvqa: one entry point for building, testing, the demo and the benchmarks.
# Every target that needs something from outside (Maven artifacts, npm packages, Debian
# packages) fetches it itself, so a fresh machine and CI behave the same.

SHELL := /bin/bash
MVN ?= mvn -B -q
GIT_COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
MVN_FLAGS := -Dmedvqa.git.commit=$(GIT_COMMIT)
SHARED_DATA ?= $(abspath ../shared/data)
WORK ?= work
# Debian's python (with python3-nltk / python3-torch), not the first python3 on PATH.
SYSTEM_PYTHON ?= /usr/bin/python3

.DEFAULT_GOAL := help
.PHONY: help build test format demo baseline-2019 bench-eval python-deps clean

help:
	@echo "make build          compile and package (jobs/target/medvqa-jobs.jar), no tests"
	@echo "make test           the test suite (what CI runs): format check, enforcer, unit + integration tests"
	@echo "make demo           the whole pipeline on synthetic data (5 runs, augmentation on), then the metrics table"
	@echo "make baseline-2019  the majority baseline on the real 2019 training set, 90/10 split by image"
	@echo "make bench-eval     BLEU throughput, ours against NLTK, 100,000 pairs"
	@echo "make runs-2019      majority, paper run 5 and the question-aware model on the 2019 training set (bin/medvqa run each)"
	@echo "make weights        Keras ResNet50 ImageNet weights imported into DL4J (models/)"
	@echo "make vectors        GloVe 6B 100d word vectors for question augmentation (vectors/)"
	@echo "make bench-features | bench-augment | bench-questions | bench-train   benchmarks against their peers"
	@echo "make test-cluster   Spark standalone master + 2 workers on loopback, the shaded jar submitted (run 5, parameter averaging over 2 executors)"
	@echo "make notebooks      the notebooks on MEDVQA_OUT (default work/demo) -> work/notebooks/*.html"
	@echo "make format         rewrite the sources in the project's format (google-java-format)"

build:
	$(MVN) $(MVN_FLAGS) -DskipTests package

test:
	$(MVN) $(MVN_FLAGS) verify

format:
	$(MVN) spotless:apply

# Debian's NLTK and PyTorch for cross-checks and peer benchmarks (not the PyPI ones).
python-deps:
	@if ! $(SYSTEM_PYTHON) -c 'import nltk' 2>/dev/null; then \
	  echo "installing Debian's python3-nltk"; \
	  (apt-get update -qq && apt-get install -y -qq python3-nltk) >/dev/null; fi

# The whole pipeline on the synthetic release, on the embedded local Spark: the first run ingests,
# augments images and questions, extracts ResNet50 features and trains; the others train on its
# augmented manifest (same split, features already cached). Ends with the metrics table.
DEMO_RUNS ?= vqa-majority vqa-run5 vqa-qaware vqa-run3 vqg-run1
DEMO_SETTINGS ?= --set medvqa.train.epochs=4 --set medvqa.augment.images.variants=2 \
  --set medvqa.augment.questions.variants=2 --set medvqa.vectors.path=$(GLOVE) \
  --set medvqa.models.vae-vqa.embedding=64 --set medvqa.models.vae-vqa.hidden=64 \
  --set medvqa.models.vae-vqg.embedding=64 --set medvqa.models.vae-vqg.hidden=64 \
  --set medvqa.train.learning-rate=3e-3 --set medvqa.workspace=$(WORK)/demo/workspace
demo: build weights vectors
	rm -rf $(WORK)/demo && mkdir -p $(WORK)/demo/runs
	bin/medvqa synth --set medvqa.synth.out=$(WORK)/demo/release
	@first=$(firstword $(DEMO_RUNS)); for r in $(DEMO_RUNS); do \
	  if [ $$r = $$first ]; then src="--set medvqa.data.train=$(WORK)/demo/release/ImageClef_2019_Training \
	    --set medvqa.pipeline.stages.augment-images=true --set medvqa.pipeline.stages.augment-questions=true"; \
	  else src="--set medvqa.data.train=$(WORK)/demo/runs/$$first/augment-questions"; fi; \
	  echo "== pipeline $$r"; \
	  MEDVQA_MASTER='local[2]' bin/medvqa pipeline --config conf/runs/$$r.conf $$src $(DEMO_SETTINGS) \
	    --set medvqa.out=$(WORK)/demo/runs/$$r || exit 1; \
	done
	@echo "demo metrics (synthetic release, held-out 10% of its training images):"
	@python3 scripts/metrics_table.py $(WORK)/demo/runs

baseline-2019: build
	@test -d $(SHARED_DATA)/vqa-med-2019 || { echo "no VQA-Med 2019 data at $(SHARED_DATA)/vqa-med-2019 (see README: Data)"; exit 2; }
	rm -rf $(WORK)/baseline-2019 && mkdir -p $(WORK)/baseline-2019
	bin/medvqa ingest --config conf/baseline-2019.conf \
	  --set medvqa.ingest.release=$(SHARED_DATA)/vqa-med-2019/ImageClef_2019_Training \
	  --set medvqa.ingest.release-name=2019 --set medvqa.ingest.out=$(WORK)/baseline-2019/ingest
	bin/medvqa train --config conf/baseline-2019.conf \
	  --set medvqa.train.manifest=$(WORK)/baseline-2019/ingest --set medvqa.train.out=$(WORK)/baseline-2019/model
	bin/medvqa predict --config conf/baseline-2019.conf \
	  --set medvqa.predict.model=$(WORK)/baseline-2019/model --set medvqa.predict.manifest=$(WORK)/baseline-2019/ingest \
	  --set medvqa.predict.out=$(WORK)/baseline-2019/predict
	bin/medvqa evaluate --config conf/baseline-2019.conf \
	  --set medvqa.eval.ground-truth=$(WORK)/baseline-2019/predict/ground-truth.txt \
	  --set medvqa.eval.submission=$(WORK)/baseline-2019/predict/submission.txt \
	  --set medvqa.eval.output=$(WORK)/baseline-2019/metrics.json
	@cat $(WORK)/baseline-2019/metrics.json
	@echo "-- the same model on the official 2019 test questions (text only: the test images are not in ../shared)"
	bin/medvqa ingest --config conf/local.conf --set medvqa.ingest.image-check=none \
	  --set 'medvqa.ingest.files=[{path = VQAMed2019_Test_Questions_w_Ref_Answers.txt, format = test-2019, split = test}]' \
	  --set medvqa.ingest.release=$(SHARED_DATA)/vqa-med-2019 \
	  --set medvqa.ingest.release-name=2019 --set medvqa.ingest.out=$(WORK)/baseline-2019/ingest-test
	bin/medvqa predict --config conf/baseline-2019.conf --set medvqa.predict.split=test \
	  --set medvqa.predict.model=$(WORK)/baseline-2019/model --set medvqa.predict.manifest=$(WORK)/baseline-2019/ingest-test \
	  --set medvqa.predict.out=$(WORK)/baseline-2019/predict-test
	bin/medvqa evaluate --config conf/baseline-2019.conf \
	  --set medvqa.eval.ground-truth=$(SHARED_DATA)/vqa-med-2019/VQAMed2019_Test_Questions_w_Ref_Answers.txt \
	  --set medvqa.eval.submission=$(WORK)/baseline-2019/predict-test/submission.txt \
	  --set medvqa.eval.output=$(WORK)/baseline-2019/metrics-test.json
	@cat $(WORK)/baseline-2019/metrics-test.json

clean:
	$(MVN) clean
	rm -rf $(WORK)

# Each stage's own targets (weights, vectors, benchmarks) live in mk/<stage>.mk.
-include mk/*.mk
