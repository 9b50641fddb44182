#!/usr/bin/env bash
# Collects what tools/gpu/device-run.sh and device-mirror.sh need on a GPU machine into STAGE:
# jre.tar.xz (jlink runtime of the modules the engine uses), lib/*.jar (this checkout's jars, built
# with `mvn -o -q -pl engine-aoti,engine-djl,pipeline -am package -DskipTests`, gson, disruptor, slf4j, GpuCheck),
# libmirrorsd_aoti.so, the gguf wheel (WHEEL=path), py/gpu (tools/gpu), py/train (the model code the exports import).
#   tools/gpu/make-stage.sh STAGE
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
stage="$1"
m2="${M2:-$HOME/.m2/repository}"
JAVA_HOME="$("$here/scripts/java-home.sh")"
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
mkdir -p "$stage/lib" "$stage/py/gpu" "$stage/py/train"
cp "$here"/core/target/core-*-SNAPSHOT.jar "$here"/engine-aoti/target/engine-aoti-*-SNAPSHOT.jar "$here"/engine-djl/target/engine-djl-*-SNAPSHOT.jar "$here"/draft/target/draft-*-SNAPSHOT.jar \
   "$here"/pipeline/target/pipeline-*-SNAPSHOT.jar "$here"/target/target/target-*-SNAPSHOT.jar "$stage/lib/"
rm -f "$stage"/lib/*-tests.jar
cp "$m2"/com/google/code/gson/gson/2.13.1/gson-2.13.1.jar "$m2"/com/lmax/disruptor/4.0.0/disruptor-4.0.0.jar \
   "$m2"/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar "$stage/lib/"
classes="$(mktemp -d)"
javac -d "$classes" -cp "$(ls "$stage"/lib/*.jar | tr '\n' ':')" "$here/engine-aoti/src/gpucheck/java/GpuCheck.java"
jar cf "$stage/lib/gpucheck.jar" -C "$classes" .
rm -rf "$classes"
"$here/tools/gpu/build-shim.sh" "$stage/libmirrorsd_aoti.so" > /dev/null
cp "$here"/tools/gpu/*.py "$here"/tools/gpu/*.sh "$here"/tools/gpu/reference-smollm2.json "$stage/py/gpu/"
cp "$here/tools/gpu/reference-smollm2.json" "$stage/"
cp "$here"/tools/train/{common,fd_data,fd_draft,fd_export,fd_target}.py "$stage/py/train/"
[ -z "${WHEEL:-}" ] || cp "$WHEEL" "$stage/"
if [ ! -f "$stage/jre.tar.xz" ]; then
    jre="$(mktemp -d)/jre"
    # jdeps on the staged jars names java.base only; logging and Unsafe users need the next two, the
    # feature draft's kernels the Vector API. The smaller runtime (about 10 MB as .tar.xz) leaves room
    # in a 64 MiB call for GGUF pieces.
    jlink --add-modules java.base,java.logging,jdk.unsupported,jdk.incubator.vector \
          --strip-debug --no-man-pages --no-header-files --compress=2 --output "$jre"
    tar cJf "$stage/jre.tar.xz" -C "$(dirname "$jre")" jre
    rm -rf "$(dirname "$jre")"
fi
du -sh "$stage"
