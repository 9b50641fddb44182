#!/usr/bin/env bash
# Builds the benchmarks (and the modules they use, from this checkout) and runs JMH.
# Every argument goes to org.openjdk.jmh.Main, e.g.: jmh/run.sh RingRoundTrip -f 1 -wi 3 -i 5
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mvn -B -q -f "$root/pom.xml" -pl jmh -am package -DskipTests >&2
cd "$root/jmh"
exec java --add-modules jdk.incubator.vector -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 -Dai.djl.offline=true -cp "target/classes:$(cat target/benchmarks.classpath)" org.openjdk.jmh.Main "$@"
