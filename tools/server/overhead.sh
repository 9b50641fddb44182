#!/usr/bin/env bash
# The server's latency overhead over a direct Generator.generate (dev.mirrorsd.server.ServerOverhead,
# in server's test sources): builds the server module and its test classpath, then runs it.
# Usage: tools/server/overhead.sh [requests per side] [max tokens] [strategy] [device plan] [target]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
JAVA_HOME="$("$root/scripts/java-home.sh")"
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
cd "$root"
"$root/scripts/fetch-models.sh" > /dev/null
mvn -B -q -Dstyle.color=never -pl server -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test 2>&1 | sed -u $'s/\e\\[[0-9;]*m//g' >&2
exec java -Xmx3g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "server/target/test-classes:server/target/classes:$(cat server/target/test-classpath.txt)" \
    dev.mirrorsd.server.ServerOverhead "$@"
