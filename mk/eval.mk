# The evaluator's benchmark: BLEU throughput of ours against NLTK's sentence_bleu (Debian python3-nltk).
.PHONY: bench-eval
bench-eval: python-deps
	$(MVN) $(MVN_FLAGS) -pl modules/eval -am install -DskipTests
	$(SYSTEM_PYTHON) scripts/bench_eval.py
