#!/bin/sh
# Builds the libFuzzer target over Sources/PDF and runs it.
#   scripts/fuzz.sh [seconds] [jobs]     (defaults: 60 seconds, 1 job)
# The seed corpus is Fuzz/seeds (small PDFs from the test producers); new inputs go to
# Fuzz/corpus, crashes to Fuzz/crashes. Turn every crash into a test in FuzzRegressionTests.
set -eu
cd "$(dirname "$0")/.."
#   scripts/fuzz.sh signing [seconds]    the whole document-signing path (Sources/SigningFuzz):
# a release build with the fuzzer and ASan in .build-fuzz; corpus in Fuzz/corpus-signing. Leak
# detection is off there: LeakSanitizer reports the keys the harness keeps in a Swift global.
#   scripts/fuzz.sh xml [seconds]        the same target with every input signed as XAdES
# (SIGNET_FUZZ_TYPE=XAdES): seeds are the XML fixtures, corpus in Fuzz/corpus-xml.
if [ "${1:-}" = "xml" ]; then
    SECONDS_TO_RUN=${2:-60}
    swift build -c release --scratch-path .build-fuzz --product signing-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
    mkdir -p Fuzz/corpus-xml Fuzz/crashes
    SIGNET_FUZZ_TYPE=XAdES ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no exec .build-fuzz/release/signing-fuzz \
        -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=30 -rss_limit_mb=3072 -detect_leaks=0 \
        -artifact_prefix=Fuzz/crashes/xml- -print_final_stats=1 -dict=Fuzz/xml.dict \
        Fuzz/corpus-xml Tests/SignetTests/Fixtures/XML
fi
if [ "${1:-}" = "signing" ]; then
    SECONDS_TO_RUN=${2:-60}
    swift build -c release --scratch-path .build-fuzz --product signing-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
    mkdir -p Fuzz/corpus-signing Fuzz/crashes
    ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no exec .build-fuzz/release/signing-fuzz -max_total_time="$SECONDS_TO_RUN" \
        -max_len=65536 -timeout=30 -rss_limit_mb=3072 -detect_leaks=0 -artifact_prefix=Fuzz/crashes/signing- \
        -print_final_stats=1 -dict=Fuzz/pdf.dict Fuzz/corpus-signing Fuzz/seeds
fi
SECONDS_TO_RUN=${1:-60}
JOBS=${2:-1}
mkdir -p .build/fuzz Fuzz/corpus Fuzz/crashes
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name PDFFuzz -I Sources/CSignetZlib -lz \
    Sources/PDF/*.swift Fuzz/FuzzEntry.swift Tests/PDFTests/Support/FuzzRequest.swift -o .build/fuzz/pdf-fuzz
PARALLEL=""
[ "$JOBS" -gt 1 ] && PARALLEL="-jobs=$JOBS -workers=$JOBS"
# Swift's own crash backtracer trips ASan; libFuzzer prints the stack instead.
SWIFT_BACKTRACE=enable=no exec .build/fuzz/pdf-fuzz -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 $PARALLEL -artifact_prefix=Fuzz/crashes/ \
    -print_final_stats=1 -dict=Fuzz/pdf.dict Fuzz/corpus Fuzz/seeds
