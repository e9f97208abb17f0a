#!/usr/bin/env bash
# Draws the benchmark results as PNG charts into docs/performance/ (ci/Charts.java, JFreeChart from Maven Central):
# throughput and p99 per clinical scenario, latency over time across the emergency switch and the faults, and
# throughput against the number of replicas and the record size.
#
#   ci/charts.sh RESULTS_DIR...   one or more ci/bench-clinical.sh results directories (the first one's timeline is
#                                 drawn); the scale figures come from docs/performance/data/scale.csv
# Environment: CHARTS_OUT (docs/performance), CHARTS_SCALE (docs/performance/data/scale.csv; "-" for none),
# CHARTS_LABELS (the runs' names in the scenario chart, comma-separated; default "run 1", "run 2", ...). A results
# directory needs scenarios.csv; the timeline is drawn when the first one also has buckets.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.5.6
JAR="$HOME/.m2/repository/org/jfree/jfreechart/$VERSION/jfreechart-$VERSION.jar"
[ -f "$JAR" ] || mvn -B -q dependency:get -Dartifact="org.jfree:jfreechart:$VERSION" >&2
SCALE=${CHARTS_SCALE:-docs/performance/data/scale.csv}
[ "$SCALE" = - ] || [ -f "$SCALE" ] || SCALE=-
CLASSES=target/charts-classes
rm -rf "$CLASSES" && javac -cp "$JAR" -d "$CLASSES" ci/Charts.java
java -Djava.awt.headless=true -cp "$CLASSES:$JAR" Charts "${CHARTS_OUT:-docs/performance}" "$SCALE" "$@"
