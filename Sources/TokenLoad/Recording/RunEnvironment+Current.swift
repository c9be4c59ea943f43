import TokenResults

extension RunEnvironment {
    /// Reads this machine and the allocator this process runs on (``ProcessMemory/allocator``).
    public static func current(target: String) -> RunEnvironment {
        current(target: target, allocator: ProcessMemory.allocator)
    }
}
