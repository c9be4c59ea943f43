import TokenBenchCLI

// `tokenbench-jemalloc`: the same command line, linked with Debian's jemalloc
// (`libjemalloc-dev`), which then serves every malloc of the process. `result.json` records
// the allocator a run had (`environment.allocator`), read through jemalloc's `mallctl`.
await TokenBenchMain.main()
