// What one hand-off between two threads over a loopback socket costs, for each way a server
// can wait for a message: a thread blocked in read (the baseline, as Apache ZooKeeper's peer
// links), an event loop of its own on its thread, a Dispatch read source (Petrel's network layer until it got its own epoll thread),
// and Petrel's TCPServer as the echo end of a blocked caller (its epoll thread, then the connection's queue;
// or its loop on the main thread, which waits on the sockets itself). A
// write through a coordination-service follower crosses the members' sockets four times, so
// this is the figure that decides whether an event loop of the node's own is worth building.
//
//   cd Benchmarks && swift run -c release HandOffBenchmarks [round trips per run]
//
// Each run is a ping-pong of 64-byte messages between two ends in this process (each end its
// own thread or queue); a round trip is two crossings. Each figure is the median of seven runs,
// the modes taking turns run by run; the ratio is against the blocking threads of the same run.
#if canImport(Glibc)
import Glibc
#endif
import Network

// The main thread is the process's poller and runs the main queue (for the main-thread mode;
// the other Petrel modes' queues run on Dispatch workers as before, woken by it as by a poller
// thread of its own); the modes run on a thread of their own.
MainThreadLoop.adopt()
let driver = spawn {
    measure()
    MainThreadLoop.stop()
}
MainThreadLoop.run()
driver()

/// Every mode, run by run, then the table.
func measure() {
    let arguments = CommandLine.arguments
    let rounds = arguments.count > 1 ? (Int(arguments[1]) ?? 20_000) : 20_000
    let runs = 7

    var samples: [HandOff: [Double]] = [:]
    for run in 0..<runs {
        let order = run % 2 == 0 ? HandOff.allCases : HandOff.allCases.reversed()
        for mode in order {
            let seconds = mode.run(rounds: rounds)
            samples[mode, default: []].append(seconds)
        }
        print("run \(run + 1)/\(runs) done")
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    let baseline = median(samples[.blockingThreads] ?? [1])
    print("\n\(rounds) round trips of \(messageSize)-byte messages per run, median of \(runs) runs\n")
    print("| how each end waits | µs per crossing | round trips/s | time vs blocking threads |")
    print("|---|---|---|---|")
    for mode in HandOff.allCases {
        let seconds = median(samples[mode] ?? [0])
        let perCrossing = seconds / Double(rounds * 2) * 1e6
        let rate = Double(rounds) / seconds
        let ratio = seconds / baseline
        print("| \(mode.rawValue) | \(fixed(perCrossing, 1)) | \(fixed(rate, 0)) | \(fixed(ratio, 2)) |")
    }
}

/// `value` with `digits` decimals (no Foundation here).
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    if digits == 0 { return String(scaled) }
    let whole = scaled / Int(scale)
    let fraction = String(scaled % Int(scale))
    return "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
}
