#!/usr/bin/env bash
# Builds mirror-sd's JNI shim for the AOTI engine: libmirrorsd_aoti.so (plain C, no libtorch headers).
#   tools/gpu/build-shim.sh [OUT.so]        # default: ~/.cache/mirror-sd/native/libmirrorsd_aoti.so
# Then run Java with -Dmirrorsd.aoti.shim=OUT.so (or MIRRORSD_AOTI_SHIM=OUT.so). Without it, the engine
# builds the same file itself on first use when `cc` and a JDK's include/jni.h are present.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
src="$here/engine-aoti/src/main/resources/dev/mirrorsd/engine/aoti/mirrorsd_aoti.c"
out="${1:-$HOME/.cache/mirror-sd/native/libmirrorsd_aoti.so}"
jdk="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
mkdir -p "$(dirname "$out")"
cc -O2 -Wall -shared -fPIC -I"$jdk/include" -I"$jdk/include/linux" "$src" -ldl -o "$out"
echo "$out"
