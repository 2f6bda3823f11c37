# Sourced by every script that runs Java: exports JAVA_HOME pointing at a JDK 25 or newer.
# Honours an existing JAVA_HOME if it is new enough; else looks under /usr/lib/jvm. Reads the JDK's
# `release` file instead of starting a JVM, which would cost ~100 ms on every launch.
java_major() {
  local v
  v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)"
  echo "${v:-0}"
}
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(java_major "$JAVA_HOME")" -lt 25 ]; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    if [ -x "$candidate/bin/java" ] && [ "$(java_major "$candidate")" -ge 25 ]; then
      JAVA_HOME="$candidate"
      break
    fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "krunctl: no JDK 25 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
    exit 69
  fi
fi
export JAVA_HOME
