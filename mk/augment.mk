# The image-augmentation benchmark (modules/augment, augment-images).
#
#   make bench-augment   augment-images img/s on 64 real VQA-Med 2019 images with local[1] and
#                        local[2], beside torchvision/PIL (scripts/bench_augment_torch.py) applying
#                        the same transforms with the same parameters to the same images; prints a
#                        table and "bench-augment: ours=... peer=... ratio=... speedup=..."
BENCH_AUGMENT_IMAGES ?= 64
BENCH_AUGMENT_REPEATS ?= 3
BENCH_AUGMENT_CP := jobs/target/bench-augment-classpath.txt
# Spark 3.5 on Java 17 needs these (the same list as the parent pom's medvqa.jvm.opens and bin/medvqa).
BENCH_AUGMENT_OPENS := --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED \
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED \
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false

.PHONY: bench-augment augment-peer-deps

# Debian's torchvision (brings python3-torch and python3-pil), the peer (not the PyPI wheels).
augment-peer-deps:
	@if ! $(SYSTEM_PYTHON) -c 'import torch, torchvision, PIL' 2>/dev/null; then \
	  echo "installing Debian's python3-torchvision"; \
	  (apt-get update -qq && apt-get install -y -qq python3-torchvision) >/dev/null; fi

bench-augment: augment-peer-deps
	@test -d $(SHARED_DATA)/vqa-med-2019 || { echo "no VQA-Med 2019 data at $(SHARED_DATA)/vqa-med-2019 (see README: Data)"; exit 2; }
	$(MVN) $(MVN_FLAGS) -pl jobs -am install -DskipTests
	$(MVN) -pl jobs dependency:build-classpath -Dmdep.outputFile=$(CURDIR)/$(BENCH_AUGMENT_CP) >/dev/null
	SPARK_LOCAL_IP=127.0.0.1 java -Xmx4g $(BENCH_AUGMENT_OPENS) \
	  -Dlog4j2.configurationFile=$(CURDIR)/conf/log4j2.properties \
	  -cp jobs/target/test-classes:jobs/target/classes:$$(cat $(BENCH_AUGMENT_CP)) \
	  org.medvqa.jobs.BenchAugmentImages \
	  --data $(SHARED_DATA)/vqa-med-2019/ImageClef_2019_Training --images $(BENCH_AUGMENT_IMAGES) \
	  --repeats $(BENCH_AUGMENT_REPEATS) --work $(WORK)/bench-augment \
	  --python $(SYSTEM_PYTHON) --peer scripts/bench_augment_torch.py
