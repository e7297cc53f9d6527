import Wire

/// One op of a multi (op 14) or multiRead (op 22) request (NOTES.md §6).
public enum MultiOp: Sendable, Hashable {
    /// `op` is create, create2, createTTL or createContainer.
    case create(CreateRequest, op: OpCode)
    case delete(DeleteRequest)
    case setData(SetDataRequest)
    case check(CheckVersionRequest)
    /// multiRead only.
    case getData(GetDataRequest)
    /// multiRead only.
    case getChildren(GetChildrenRequest)

    public var opCode: OpCode {
        switch self {
        case .create(_, let op): op
        case .delete: .delete
        case .setData: .setData
        case .check: .check
        case .getData: .getData
        case .getChildren: .getChildren
        }
    }

    public var path: String {
        switch self {
        case .create(let request, _): request.path
        case .delete(let request): request.path
        case .setData(let request): request.path
        case .check(let request): request.path
        case .getData(let request): request.path
        case .getChildren(let request): request.path
        }
    }

    public var isRead: Bool {
        switch self {
        case .getData, .getChildren: true
        default: false
        }
    }

    /// Reads `MultiHeader` + record pairs up to the closing header. An op type that cannot
    /// appear in a multi is a decode error (ZooKeeper answers it with MarshallingError).
    public static func decodeList(from reader: inout ByteReader) throws(WireError) -> [MultiOp] {
        var ops: [MultiOp] = []
        while true {
            let header = try MultiHeader(from: &reader)
            if header.done { return ops }
            guard let op = OpCode(rawValue: header.type) else {
                throw WireError.invalidValue(field: "MultiHeader.type", detail: "unknown op code \(header.type)")
            }
            switch op {
            case .create, .create2, .createContainer:
                ops.append(.create(try CreateRequest(from: &reader, withTTL: false), op: op))
            case .createTTL:
                ops.append(.create(try CreateRequest(from: &reader, withTTL: true), op: op))
            case .delete: ops.append(.delete(try DeleteRequest(from: &reader)))
            case .setData: ops.append(.setData(try SetDataRequest(from: &reader)))
            case .check: ops.append(.check(try CheckVersionRequest(from: &reader)))
            case .getData: ops.append(.getData(try GetDataRequest(from: &reader)))
            case .getChildren: ops.append(.getChildren(try GetChildrenRequest(from: &reader)))
            default:
                throw WireError.invalidValue(field: "MultiHeader.type", detail: "\(op) cannot be part of a multi")
            }
        }
    }

    public static func encodeList(_ ops: [MultiOp], into writer: inout ByteWriter) {
        for op in ops {
            MultiHeader(type: op.opCode.rawValue, done: false, err: -1).encode(into: &writer)
            switch op {
            case .create(let request, _): request.encode(into: &writer)
            case .delete(let request): request.encode(into: &writer)
            case .setData(let request): request.encode(into: &writer)
            case .check(let request): request.encode(into: &writer)
            case .getData(let request): request.encode(into: &writer)
            case .getChildren(let request): request.encode(into: &writer)
            }
        }
        MultiHeader.end.encode(into: &writer)
    }
}

/// One result of a multi or multiRead response.
public enum MultiResult: Sendable, Hashable {
    /// `op` create answers with the path only; create2, createTTL, createContainer add the stat.
    case create(path: String, stat: Stat, op: OpCode)
    case delete
    case setData(Stat)
    case check
    case getData(data: [UInt8], stat: Stat)
    case getChildren([String])
    /// Type -1 with the code in the header and again in an `ErrorResponse`.
    case error(Int32)

    public static func encodeList(_ results: [MultiResult], into writer: inout ByteWriter) {
        for result in results {
            switch result {
            case .create(let path, let stat, let op):
                MultiHeader(type: op.rawValue, done: false, err: 0).encode(into: &writer)
                writer.writeJuteString(path)
                if op != .create { stat.encode(into: &writer) }
            case .delete:
                MultiHeader(type: OpCode.delete.rawValue, done: false, err: 0).encode(into: &writer)
            case .setData(let stat):
                MultiHeader(type: OpCode.setData.rawValue, done: false, err: 0).encode(into: &writer)
                stat.encode(into: &writer)
            case .check:
                MultiHeader(type: OpCode.check.rawValue, done: false, err: 0).encode(into: &writer)
            case .getData(let data, let stat):
                MultiHeader(type: OpCode.getData.rawValue, done: false, err: 0).encode(into: &writer)
                GetDataResponse(data: data, stat: stat).encode(into: &writer)
            case .getChildren(let children):
                MultiHeader(type: OpCode.getChildren.rawValue, done: false, err: 0).encode(into: &writer)
                writer.writeJuteStrings(children)
            case .error(let code):
                MultiHeader(type: OpCode.error.rawValue, done: false, err: code).encode(into: &writer)
                writer.writeInt32(code)
            }
        }
        MultiHeader.end.encode(into: &writer)
    }

    /// Reads results up to the closing header (for clients and tests).
    public static func decodeList(from reader: inout ByteReader) throws(WireError) -> [MultiResult] {
        var results: [MultiResult] = []
        while true {
            let header = try MultiHeader(from: &reader)
            if header.done { return results }
            guard let op = OpCode(rawValue: header.type) else {
                throw WireError.invalidValue(field: "MultiHeader.type", detail: "unknown op code \(header.type)")
            }
            switch op {
            case .create:
                results.append(.create(path: try reader.readJuteString(field: "path"), stat: Stat(), op: op))
            case .create2, .createTTL, .createContainer:
                let response = try Create2Response(from: &reader)
                results.append(.create(path: response.path, stat: response.stat, op: op))
            case .delete: results.append(.delete)
            case .setData: results.append(.setData(try Stat(from: &reader)))
            case .check: results.append(.check)
            case .getData:
                let response = try GetDataResponse(from: &reader)
                results.append(.getData(data: response.data, stat: response.stat))
            case .getChildren: results.append(.getChildren(try reader.readJuteStrings()))
            case .error: results.append(.error(try reader.readInt32()))
            default:
                throw WireError.invalidValue(field: "MultiHeader.type", detail: "\(op) cannot be a multi result")
            }
        }
    }
}
