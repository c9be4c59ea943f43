import TokenBenchCLI

// `tokenbench`: the command line on glibc's malloc.
await TokenBenchMain.main()
