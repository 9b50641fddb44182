#!/usr/bin/env bash
# Prints the home of a JDK 25 or newer: $JAVA_HOME if it is one, else the newest under /usr/lib/jvm
# or /Library/Java/JavaVirtualMachines. mirror-sd is built for Java 25 (the Vector API and the final
# FFM API); exits 1 with the reason when no such JDK is found.
set -euo pipefail
major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}
ok() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ "$(major "$1")" -ge 25 ] 2>/dev/null
}
if [ -n "${JAVA_HOME:-}" ] && ok "$JAVA_HOME"; then
  echo "$JAVA_HOME"
  exit 0
fi
best="" best_major=0
for home in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
  if ok "$home"; then
    m="$(major "$home")"
    if [ "$m" -gt "$best_major" ]; then best="$home" best_major="$m"; fi
  fi
done
if [ -z "$best" ]; then
  echo "mirror-sd needs a JDK 25 or newer (JAVA_HOME=${JAVA_HOME:-unset} is not one, and none was found" \
    "under /usr/lib/jvm): install one, e.g. Temurin 25, and set JAVA_HOME" >&2
  exit 1
fi
echo "$best"
