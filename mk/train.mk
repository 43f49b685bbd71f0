# Runs on the real VQA-Med 2019 training set and the training benchmark (modules/training).
#
#   make runs-2019     the README's table: majority, paper run 5 and the question-aware model, each
#                      one `bin/medvqa run` on the 2019 training set split 90/10 by image (seed 42),
#                      into $(WORK)/runs-2019/<run>/ (metrics.json); features cached once under
#                      $(WORK)/features (about 10 minutes for the 3,200 images on 2 cores)
#   make bench-train   classifier training samples/s on those cached features, local[1] and
#                      local[2], beside the same head in Debian's PyTorch, in the same run
#   make bench-vae     VAE VQA training samples/s (paper run 3's settings) on the cached features
#                      of the vqa-run3 run, local[1] and local[2], beside the same network in
#                      Debian's PyTorch, in the same run; BENCH_VAE_EPOCHS per Java run (the first
#                      untimed), BENCH_VAE_PEER_BATCHES cuts the peer's epochs (0 = whole epochs)
RUNS_2019 ?= vqa-majority vqa-run5 vqa-qaware
TRAIN_2019 := $(SHARED_DATA)/vqa-med-2019/ImageClef_2019_Training
BENCH_TRAIN_RUN ?= $(WORK)/runs-2019/vqa-run5
BENCH_VAE_RUN ?= $(WORK)/runs-2019/vqa-run3
BENCH_VAE_EPOCHS ?= 3
BENCH_VAE_PEER_BATCHES ?= 0

.PHONY: runs-2019 bench-train bench-vae

runs-2019: build weights
	@test -d $(TRAIN_2019) || { echo "no VQA-Med 2019 data at $(TRAIN_2019) (see README: Data)"; exit 2; }
	@for r in $(RUNS_2019); do \
	  echo "== $$r"; \
	  bin/medvqa run --config conf/runs/$$r.conf --set medvqa.data.train=$(TRAIN_2019) \
	    --set medvqa.ingest.release-name=2019 --set medvqa.out=$(WORK)/runs-2019/$$r || exit 1; \
	done
	@for r in $(RUNS_2019); do echo "$$r: $$(cat $(WORK)/runs-2019/$$r/metrics.json | tr -d '\n' | cut -c1-160)"; done

bench-train: torch-deps
	@test -f $(BENCH_TRAIN_RUN)/ingest-train/provenance.json || { echo "bench-train trains on the ingest and feature cache of $(BENCH_TRAIN_RUN): run make runs-2019 first"; exit 2; }
	$(MVN) $(MVN_FLAGS) -pl jobs -am install -DskipTests
	$(SYSTEM_PYTHON) scripts/bench_train_torch.py --manifest $(BENCH_TRAIN_RUN)/ingest-train \
	  --features $$(python3 -c "import json,sys; print(json.load(open('$(BENCH_TRAIN_RUN)/provenance.json'))['notes']['feature_cache'])")

bench-vae: torch-deps
	@test -f $(BENCH_VAE_RUN)/ingest-train/provenance.json || { echo "bench-vae trains on the ingest and feature cache of $(BENCH_VAE_RUN): run make runs-2019 RUNS_2019=vqa-run3 first"; exit 2; }
	$(MVN) $(MVN_FLAGS) -pl jobs -am install -DskipTests
	$(SYSTEM_PYTHON) scripts/bench_vae_torch.py --manifest $(BENCH_VAE_RUN)/ingest-train \
	  --features $$(python3 -c "import json,sys; print(json.load(open('$(BENCH_VAE_RUN)/provenance.json'))['notes']['feature_cache'])") \
	  --epochs $(BENCH_VAE_EPOCHS) --peer-batches $(BENCH_VAE_PEER_BATCHES)
