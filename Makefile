# The two commands the README opens with, plus the developer's own.
.PHONY: cluster test generate fuzz bench

cluster:            ## run Petrel locally on localhost:9092
	scripts/cluster.sh

test:               ## every test: Swift unit tests and the real-client interop suite
	scripts/test.sh

generate:           ## regenerate the Kafka protocol code from Kafka's JSON specs in ../shared
	swift run ProtocolGenerator ../shared/kafka-protocol/messages Sources/KafkaProtocol/Generated Tests/KafkaProtocolTests/Generated

fuzz:               ## fuzz request decoding for 10 minutes
	scripts/fuzz.sh 600

bench:              ## record-batch and CRC benchmarks (release)
	cd Benchmarks && swift package benchmark
