# Runs on the real VQA-Med 2019 training set and the training benchmark (modules/training).
#
#   make runs-2019     the README's table: majority, paper run 5 and the question-aware model, each
#                      one `bin/medvqa run` on the 2019 training set split 90/10 by image (seed 42),
#                      into $(WORK)/runs-2019/<run>/ (metrics.json); features cached once under
#                      $(WORK)/features (about 10 minutes for the 3,200 images on 2 cores)
#   make runs-2019-vae the VAE runs of the README's table (VQA runs 1, 3, 4; VQG runs 1-3) on the
#                      same split, on 2 CPU cores: sizes 128 instead of the paper's 512, learning
#                      rate 1e-3, one training worker (on 2 cores one worker is faster than two and
#                      takes twice the optimiser steps per epoch), 20 epochs, the VQG runs
#                      VQG_2019_EPOCHS (VAE_CPU_SETTINGS;
#                      empty it for the paper's settings, hours per run here; the VQG runs
#                      return the n-best of one beam, VQG_2019_QUESTIONS). Each run's
#                      model/probes.jsonl has the collapse probes per epoch; each run is
#                      followed by its decoding-lever table (scripts/levers.py).
#   make runs-rad-vqg  VQG runs 1-3 on VQA-RAD's free-form questions (held-out 10% of its images,
#                      seeded), same CPU settings, beside the constant floor (vqg-baseline-rad)
#   make vqa-run2-2019 paper run 2: run 1 with more training data. The paper's extra release (2020)
#                      is not on this machine; the extra data here are one augment-questions rewrite
#                      of every training question of run 1's ingest (needs make vectors)
#   make vqa-run3-rewrites-2019  run 3 (CPU settings) on run 2's training data: the 2019 training
#                      questions and their rewrites
#   make vqg-baseline-2019  the same 5 frequent training questions for every held-out image (VQG floor)
#   make bench-train   classifier training samples/s on those cached features, local[1] and
#                      local[2], beside the same head in Debian's PyTorch, in the same run
#   make bench-vae     VAE VQA training samples/s (paper run 3's settings) on the cached features
#                      of the vqa-run1 run (the shared ingest), local[1] and local[2] with 1 thread per
#                      task, beside the same network in Debian's PyTorch (1 and 2 threads, the faster
#                      kept), in the same run; BENCH_VAE_REPS repetitions (medians), BENCH_VAE_EPOCHS
#                      per Java run (the first untimed), BENCH_VAE_EMBEDDING/HIDDEN (the paper: 512),
#                      BENCH_VAE_PEER_BATCHES cuts the peer's epochs (0 = whole epochs)
RUNS_2019 ?= vqa-majority vqa-run5 vqa-qaware
TRAIN_2019 := $(SHARED_DATA)/vqa-med-2019/ImageClef_2019_Training
VAE_RUNS_2019 ?= vqa-run1 vqa-run3 vqa-run4 vqg-run1 vqg-run2 vqg-run3
VAE_CPU_SETTINGS ?= --set medvqa.models.vae-vqa.embedding=128 --set medvqa.models.vae-vqa.hidden=128 \
  --set medvqa.models.vae-vqg.embedding=128 --set medvqa.models.vae-vqg.hidden=128 \
  --set medvqa.train.learning-rate=1e-3 --set medvqa.train.workers=1 \
  --set medvqa.train.epochs=20
# The VQG runs' epochs: 2019 has 11,456 training questions of up to 30 tokens, VQA-RAD 1,584.
VQG_2019_EPOCHS ?= 8
# The 2019 questions are a few templates per category: the VQG runs there return the image's most
# likely questions (the n-best of one beam of 10) instead of sampled ones (README, VQG runs).
VQG_2019_QUESTIONS ?= --set medvqa.models.vae-vqg.questions=beams --set medvqa.models.vae-vqg.beam-width=10
VQG_RAD_EPOCHS ?= 15
BENCH_TRAIN_RUN ?= $(WORK)/runs-2019/vqa-run5
BENCH_VAE_RUN ?= $(WORK)/runs-2019/vqa-run1
BENCH_VAE_EPOCHS ?= 2
BENCH_VAE_REPS ?= 3
BENCH_VAE_EMBEDDING ?= 128
BENCH_VAE_HIDDEN ?= 128
BENCH_VAE_PEER_BATCHES ?= 0

.PHONY: runs-2019 runs-2019-best runs-rad runs-2019-vae runs-rad-vqg vqa-run2-2019 vqa-run3-rewrites-2019 run2-rewrites vqg-baseline-2019 \
  vqg-baseline-rad bench-train bench-vae

runs-2019: build weights
	@test -d $(TRAIN_2019) || { echo "no VQA-Med 2019 data at $(TRAIN_2019) (see README: Data)"; exit 2; }
	@for r in $(RUNS_2019); do \
	  echo "== $$r"; \
	  bin/medvqa run --config conf/runs/$$r.conf --set medvqa.data.train=$(TRAIN_2019) \
	    --set medvqa.ingest.release-name=2019 --set medvqa.out=$(WORK)/runs-2019/$$r || exit 1; \
	done
	@for r in $(RUNS_2019); do echo "$$r: $$(cat $(WORK)/runs-2019/$$r/metrics.json | tr -d '\n' | cut -c1-160)"; done

# The first run ingests the release; the others train on its ingest output (the same split).
runs-2019-vae: build weights
	@test -d $(TRAIN_2019) || { echo "no VQA-Med 2019 data at $(TRAIN_2019) (see README: Data)"; exit 2; }
	@first=$(firstword $(VAE_RUNS_2019)); for r in $(VAE_RUNS_2019); do \
	  if [ $$r = $$first ]; then src="--set medvqa.data.train=$(TRAIN_2019) --set medvqa.ingest.release-name=2019"; \
	  else src="--set medvqa.data.train=$(WORK)/runs-2019/$$first/ingest-train"; fi; \
	  case $$r in vqg-*) ep="--set medvqa.train.epochs=$(VQG_2019_EPOCHS) $(VQG_2019_QUESTIONS)";; *) ep="";; esac; \
	  echo "== $$r"; \
	  MEDVQA_MASTER='local[2]' bin/medvqa run --config conf/runs/$$r.conf $$src $(VAE_CPU_SETTINGS) $$ep \
	    --set medvqa.eval.breakdown=true --set medvqa.out=$(WORK)/runs-2019/$$r || exit 1; \
	done
	@for r in $(VAE_RUNS_2019); do echo "$$r: $$(cat $(WORK)/runs-2019/$$r/metrics.json | tr -d '\n' | cut -c1-160)"; done
	@for r in $(VAE_RUNS_2019); do echo "== levers: $$r"; \
	  python3 scripts/levers.py --bin bin/medvqa --run $(WORK)/runs-2019/$$r || exit 1; done

# Ours, the best VQA model (conf/runs/vqa-best.conf, model kind hybrid), on the same split as
# runs-2019: one run (training and the per-category and question-form breakdown), then the lever
# table: the same trained weights predicting the held-out split with each combination of levers.
runs-2019-best: build weights
	@test -d $(TRAIN_2019) || { echo "no VQA-Med 2019 data at $(TRAIN_2019) (see README: Data)"; exit 2; }
	rm -rf $(WORK)/runs-2019/vqa-best
	bin/medvqa run --config conf/runs/vqa-best.conf --set medvqa.data.train=$(TRAIN_2019) \
	  --set medvqa.ingest.release-name=2019 --set medvqa.eval.breakdown=true \
	  --set medvqa.out=$(WORK)/runs-2019/vqa-best
	python3 scripts/levers.py --bin bin/medvqa --run $(WORK)/runs-2019/vqa-best

# VQA-RAD (../shared/data/vqa-rad, its published layout) as a second benchmark: the VQA models on
# a seeded 10% of its training images, scored overall and on CLOSED and OPEN questions apart.
RAD := $(SHARED_DATA)/vqa-rad
RUNS_RAD ?= vqa-majority vqa-run5 vqa-qaware vqa-best
runs-rad: build weights
	@test -d $(RAD) || { echo "no VQA-RAD data at $(RAD) (see README: Data)"; exit 2; }
	@for r in $(RUNS_RAD); do \
	  echo "== $$r"; rm -rf $(WORK)/runs-rad/$$r; \
	  bin/medvqa run --config conf/runs/$$r.conf --set medvqa.data.train=$(RAD) \
	    --set medvqa.eval.breakdown=true --set medvqa.out=$(WORK)/runs-rad/$$r || exit 1; \
	done
	python3 scripts/metrics_table.py $(WORK)/runs-rad

# Run 2's extra data: one rewrite per training question (the originals are in the main manifest
# already), trained on beside run 1's ingest; validation stays on the original images.
RUN2_EXTRA := $(WORK)/runs-2019/augment-questions-1
run2-rewrites: build weights vectors
	@test -d $(WORK)/runs-2019/vqa-run1/ingest-train || { echo "run make runs-2019-vae first (run 2 reuses run 1's ingest)"; exit 2; }
	test -d $(RUN2_EXTRA) || bin/medvqa augment-questions \
	  --set medvqa.augment.questions.manifest=$(WORK)/runs-2019/vqa-run1/ingest-train \
	  --set medvqa.augment.questions.out=$(RUN2_EXTRA) --set medvqa.vectors.path=$(GLOVE) \
	  --set medvqa.augment.questions.variants=1 --set medvqa.augment.questions.keep-originals=false

# A VAE VQA run at the CPU settings on run 1's ingest with the rewrites beside it: $(1) the run
# file's name, $(2) the output folder under $(WORK)/runs-2019.
define rewrites-run
	MEDVQA_MASTER='local[2]' bin/medvqa run --config conf/runs/$(1).conf \
	  --set medvqa.data.train=$(WORK)/runs-2019/vqa-run1/ingest-train \
	  --set 'medvqa.data.extra-train=["$(RUN2_EXTRA)"]' $(VAE_CPU_SETTINGS) \
	  --set medvqa.out=$(WORK)/runs-2019/$(2)
	@echo "$(2): $$(cat $(WORK)/runs-2019/$(2)/metrics.json | tr -d '\n' | cut -c1-160)"
endef

vqa-run2-2019: run2-rewrites
	$(call rewrites-run,vqa-run2,vqa-run2)

# Run 3 (both reconstructions, <= 4 words) on the same extra data as run 2: the model and CPU
# settings of make runs-2019-vae, the training set of run 2 (README, VAE runs).
vqa-run3-rewrites-2019: run2-rewrites
	$(call rewrites-run,vqa-run3,vqa-run3-rewrites)

# The VQG floor beside the VQG runs: the 5 most frequent questions of the other training images
# for every held-out image, scored against the VQG runs' ground truth.
VQG_BASELINE := $(WORK)/runs-2019/vqg-baseline
vqg-baseline-2019: build
	@test -f $(WORK)/runs-2019/vqg-run1/predictions/ground-truth.txt || { echo "run make runs-2019-vae first"; exit 2; }
	@mkdir -p $(VQG_BASELINE)
	python3 scripts/vqg_constant_baseline.py --qa $(TRAIN_2019)/All_QA_Pairs_train.txt \
	  --ground-truth $(WORK)/runs-2019/vqg-run1/predictions/ground-truth.txt --out $(VQG_BASELINE)/submission.txt
	@rm -f $(VQG_BASELINE)/metrics.json
	bin/medvqa evaluate --set medvqa.eval.task=vqg \
	  --set medvqa.eval.ground-truth=$(WORK)/runs-2019/vqg-run1/predictions/ground-truth.txt \
	  --set medvqa.eval.submission=$(VQG_BASELINE)/submission.txt --set medvqa.eval.output=$(VQG_BASELINE)/metrics.json
	@cat $(VQG_BASELINE)/metrics.json

# VQG on free-form questions: VQA-RAD's training questions, its held-out 10% of images generated for
# (each scored against its own questions), then the floor on the same images.
VQG_RUNS ?= vqg-run1 vqg-run2 vqg-run3
runs-rad-vqg: build weights
	@test -d $(RAD) || { echo "no VQA-RAD data at $(RAD) (see README: Data)"; exit 2; }
	@for r in $(VQG_RUNS); do \
	  echo "== $$r"; rm -rf $(WORK)/runs-rad/$$r; \
	  MEDVQA_MASTER='local[2]' bin/medvqa run --config conf/runs/$$r.conf --set medvqa.data.train=$(RAD) \
	    $(VAE_CPU_SETTINGS) --set medvqa.train.epochs=$(VQG_RAD_EPOCHS) \
	    --set medvqa.out=$(WORK)/runs-rad/$$r || exit 1; \
	done
	$(MAKE) vqg-baseline-rad
	@for r in $(VQG_RUNS); do echo "== levers: $$r"; \
	  python3 scripts/levers.py --bin bin/medvqa --run $(WORK)/runs-rad/$$r || exit 1; done
	@for r in $(VQG_RUNS) vqg-baseline; do echo "$$r: $$(cat $(WORK)/runs-rad/$$r/metrics.json | tr -d '\n' | cut -c1-160)"; done

VQG_BASELINE_RAD := $(WORK)/runs-rad/vqg-baseline
vqg-baseline-rad: build
	@test -f $(WORK)/runs-rad/vqg-run1/predictions/ground-truth.txt || { echo "run make runs-rad-vqg first"; exit 2; }
	@mkdir -p $(VQG_BASELINE_RAD)
	python3 scripts/vqg_constant_baseline.py --vqa-rad "$(RAD)/VQA_RAD Dataset Public.json" \
	  --ground-truth $(WORK)/runs-rad/vqg-run1/predictions/ground-truth.txt --out $(VQG_BASELINE_RAD)/submission.txt
	@rm -f $(VQG_BASELINE_RAD)/metrics.json
	bin/medvqa evaluate --set medvqa.eval.task=vqg \
	  --set medvqa.eval.ground-truth=$(WORK)/runs-rad/vqg-run1/predictions/ground-truth.txt \
	  --set medvqa.eval.submission=$(VQG_BASELINE_RAD)/submission.txt --set medvqa.eval.output=$(VQG_BASELINE_RAD)/metrics.json
	@cat $(VQG_BASELINE_RAD)/metrics.json

bench-train: torch-deps
	@test -f $(BENCH_TRAIN_RUN)/ingest-train/provenance.json || { echo "bench-train trains on the ingest and feature cache of $(BENCH_TRAIN_RUN): run make runs-2019 first"; exit 2; }
	$(MVN) $(MVN_FLAGS) -pl jobs -am install -DskipTests
	$(SYSTEM_PYTHON) scripts/bench_train_torch.py --manifest $(BENCH_TRAIN_RUN)/ingest-train \
	  --features $$(python3 -c "import json,sys; p=json.load(open('$(BENCH_TRAIN_RUN)/provenance.json')); print((p.get('run') or p['notes'])['feature_cache'])")

bench-vae: torch-deps
	@test -f $(BENCH_VAE_RUN)/ingest-train/provenance.json || { echo "bench-vae trains on the ingest and feature cache of $(BENCH_VAE_RUN): run make runs-2019-vae first"; exit 2; }
	$(MVN) $(MVN_FLAGS) -pl jobs -am install -DskipTests
	$(SYSTEM_PYTHON) scripts/bench_vae_torch.py --manifest $(BENCH_VAE_RUN)/ingest-train \
	  --features $$(python3 -c "import json,sys; p=json.load(open('$(BENCH_VAE_RUN)/provenance.json')); print((p.get('run') or p['notes'])['feature_cache'])") \
	  --epochs $(BENCH_VAE_EPOCHS) --reps $(BENCH_VAE_REPS) --embedding $(BENCH_VAE_EMBEDDING) \
	  --hidden $(BENCH_VAE_HIDDEN) --peer-batches $(BENCH_VAE_PEER_BATCHES)
