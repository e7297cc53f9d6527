import CPetrel

/// How a ZooKeeper process hands memory back.
public enum ProcessMemory {
    /// A node copies its data tree's tables (megabytes each) whenever a snapshot image is
    /// still held while the tree changes, then frees them. glibc, left alone, soon serves such
    /// blocks from the heap, where freed pages stay with the process: after a few snapshots the
    /// resident size grew by about a tenth for nothing (the loaded-memory row of
    /// `Benchmarks/zookeeper/zk_bench.py`). Blocks of 1 MiB and up get their own mappings
    /// instead.
    public static func returnLargeBlocksPromptly() {
        _ = petrel_set_mmap_threshold(1 << 20)
    }
}
