# scripts/bench.d/build.sh — sourced by the scripts/bench* benchmarks (not run on its own).
#
#   bench_build PRODUCT...
#
# Builds each product in release mode. While another engineer's build holds .build (SwiftPM's
# lock), it waits 30 s and tries again, up to 10 times: never deleting anything. Returns 0 when
# every product was built; 1 when a build failed (its output on stderr) or .build stayed locked,
# so that a benchmark never times a binary older than the sources. Messages go through the
# caller's `log`.
bench_build() {
    local product attempt out built
    for product in "$@"; do
        built=0
        for attempt in 1 2 3 4 5 6 7 8 9 10; do
            if out=$(swift build -c release --product "$product" 2>&1); then
                built=1
                break
            fi
            if grep -qiE 'Another instance of SwiftPM|is locked|could not acquire lock' <<<"$out" &&
                ! grep -q 'error:' <<<"$out"; then
                log "the build directory is locked by another build; retrying in 30 s ($attempt/10)"
                sleep 30
                continue
            fi
            printf '%s\n' "$out" >&2
            return 1
        done
        if [ "$built" != 1 ]; then
            log "the build directory stayed locked by another build; $product not built"
            return 1
        fi
    done
}
