import ArgumentParser
import Dispatch
import Glibc
import Logging
import Network
import Synchronization
import Wire
import ZooKeeperServer

/// `petrel zookeeper zoo.cfg`: runs one ZooKeeper-compatible node in the foreground until
/// SIGTERM or SIGINT, then shuts down cleanly. zoo.cfg keys and the official image's ZOO_*
/// environment variables; the node id from `dataDir/myid` or ZOO_MY_ID.
public struct ZooKeeperCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "zookeeper",
        abstract: "Run a ZooKeeper-compatible node (zoo.cfg with ZooKeeper's keys; ZOO_* environment overrides).")

    @Argument(help: "Path of the zoo.cfg file (omit to configure from ZOO_* variables only).") var config: String?

    public init() {}

    public func run() throws {
        let logger = bootstrapServerLogging(label: "petrel.zookeeper")
        ProcessMemory.returnLargeBlocksPromptly()
        let zooConfig: ZooKeeperConfig
        do {
            zooConfig = try ZooKeeperConfig.load(path: config, environment: processEnvironment())
        } catch {
            throw ValidationError("\(error)")
        }
        // The main thread runs the node's event loop (one wake-up per message, see
        // MainThreadLoop); it must claim the sockets' readiness before the first one exists.
        MainThreadLoop.adopt()
        let node: ZooKeeperNode
        do {
            node = try ZooKeeperNode(
                config: zooConfig, logger: logger, versionText: "3.8.0-petrel-\(PetrelVersion.current), built on unknown",
                eventLoopTarget: .main, onFatal: { _ in Glibc.exit(70) })
        } catch {
            logger.critical("cannot start the ZooKeeper node: \(error)")
            throw ExitCode.failure
        }
        // Started from a worker: setting up waits on the event loop, which only runs once the
        // main thread is in it.
        let startFailed = Atomic<Bool>(false)
        let signals = Mutex<ShutdownSignals?>(nil)
        DispatchQueue.global().async {
            do {
                try node.start()
            } catch {
                logger.critical("cannot start the ZooKeeper node: \(error)")
                startFailed.store(true, ordering: .releasing)
                return MainThreadLoop.stop()
            }
            let installed = onShutdownSignal(logger: logger) {
                await node.shutdown()
                MainThreadLoop.stop()
            }
            signals.withLock { $0 = installed }
        }
        MainThreadLoop.run()
        withExtendedLifetime(signals) {}
        if startFailed.load(ordering: .acquiring) { throw ExitCode.failure }
    }
}

/// The process's environment, read without importing Foundation (whose full library and ICU
/// the ZooKeeper binary does not link).
func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var cursor = environ
    while let entry = cursor.pointee {
        let pair = String(cString: entry)
        if let equals = pair.firstIndex(of: "=") {
            result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        cursor += 1
    }
    return result
}
