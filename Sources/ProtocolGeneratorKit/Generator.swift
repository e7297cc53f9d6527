import Foundation

/// Reads every spec in a folder and writes the generated Swift: one file per message into the
/// library folder, one sample file per message into the test folder, and the `ApiKey` table.
public struct Generator {
    public let specsDirectory: URL

    public init(specsDirectory: URL) {
        self.specsDirectory = specsDirectory
    }

    public func loadSpecs() throws -> [MessageSpec] {
        let names = try FileManager.default.contentsOfDirectory(atPath: specsDirectory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        guard !names.isEmpty else {
            throw GeneratorError.io("no .json specs in \(specsDirectory.path)")
        }
        return try names.map { name in
            let text = try String(contentsOf: specsDirectory.appendingPathComponent(name), encoding: .utf8)
            return try MessageSpec.parse(json: text, fileName: name)
        }
    }

    /// File name -> contents, for the library and for the tests.
    public func render() throws -> (library: [String: String], samples: [String: String]) {
        let specs = try loadSpecs()
        var library: [String: String] = [:]
        var samples: [String: String] = [:]
        for spec in specs {
            library["\(spec.name).swift"] = try MessageEmitter.emit(spec)
            samples["\(spec.name)+Sample.swift"] = try SampleEmitter.emit(spec)
        }
        let requests = specs.filter { $0.kind == .request }
        library["ApiKey.swift"] = ApiKeyEmitter.emit(requests)
        samples["SampleDispatch.swift"] = SampleEmitter.emitDispatch(requests)
        return (library, samples)
    }

    /// Writes the files, removing generated files that no spec produces any more.
    public func write(library: URL, samples: URL) throws {
        let (lib, smp) = try render()
        try Self.replaceContents(of: library, with: lib)
        try Self.replaceContents(of: samples, with: smp)
    }

    static func replaceContents(of directory: URL, with files: [String: String]) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        for old in try fm.contentsOfDirectory(atPath: directory.path) where old.hasSuffix(".swift") && files[old] == nil {
            try fm.removeItem(at: directory.appendingPathComponent(old))
        }
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }
}
