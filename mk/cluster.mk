# A real Spark standalone cluster on this machine (jobs' StandaloneClusterTest, Maven profile
# "cluster"; the default build leaves it out).
#
#   make test-cluster  a master and two workers on loopback, each in its own JVM, with one 1-core,
#                      1 GB executor each; the shaded jar submitted to them the way spark-submit
#                      does (SparkSubmit, client mode); paper run 5 (`run`, the classifier) on a
#                      small synthetic release with a tiny random ResNet50, trained with DL4J
#                      parameter averaging across the two executors. Checks that both executors
#                      fitted minibatches (the driver's event log, the executors' logs, the
#                      master's JSON status) and that the run wrote metrics.json. Builds the
#                      reactor up to the shaded jar first, then runs only this test; the test takes
#                      about 3 minutes on 2 busy cores (the build before it: see `make build`).
.PHONY: test-cluster

test-cluster:
	$(MVN) $(MVN_FLAGS) -Pcluster verify -Dtest=StandaloneClusterTest -Dsurefire.failIfNoSpecifiedTests=false
