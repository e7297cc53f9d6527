/// ZooKeeper's result codes (`KeeperException.Code`, NOTES.md §5), carried in
/// `ReplyHeader.err`, in multi results and in `ErrorResponse`.
public enum ErrorCode: Int32, Sendable, Error, CaseIterable, CustomStringConvertible {
    case ok = 0
    case systemError = -1
    case runtimeInconsistency = -2
    case dataInconsistency = -3
    case connectionLoss = -4
    case marshallingError = -5
    case unimplemented = -6
    case operationTimeout = -7
    case badArguments = -8
    case unknownSession = -12
    case newConfigNoQuorum = -13
    case reconfigInProgress = -14
    case apiError = -100
    case noNode = -101
    case noAuth = -102
    case badVersion = -103
    case noChildrenForEphemerals = -108
    case nodeExists = -110
    case notEmpty = -111
    case sessionExpired = -112
    case invalidCallback = -113
    case invalidACL = -114
    case authFailed = -115
    case sessionMoved = -118
    case notReadOnly = -119
    case ephemeralOnLocalSession = -120
    case noWatcher = -121
    case requestTimeout = -122
    case reconfigDisabled = -123
    case sessionClosedRequireSaslAuth = -124
    case quotaExceeded = -125
    case throttledOp = -127

    public var description: String { "\(name)(\(rawValue))" }

    public var name: String {
        switch self {
        case .ok: "OK"
        case .systemError: "SystemError"
        case .runtimeInconsistency: "RuntimeInconsistency"
        case .dataInconsistency: "DataInconsistency"
        case .connectionLoss: "ConnectionLoss"
        case .marshallingError: "MarshallingError"
        case .unimplemented: "Unimplemented"
        case .operationTimeout: "OperationTimeout"
        case .badArguments: "BadArguments"
        case .unknownSession: "UnknownSession"
        case .newConfigNoQuorum: "NewConfigNoQuorum"
        case .reconfigInProgress: "ReconfigInProgress"
        case .apiError: "APIError"
        case .noNode: "NoNode"
        case .noAuth: "NoAuth"
        case .badVersion: "BadVersion"
        case .noChildrenForEphemerals: "NoChildrenForEphemerals"
        case .nodeExists: "NodeExists"
        case .notEmpty: "NotEmpty"
        case .sessionExpired: "SessionExpired"
        case .invalidCallback: "InvalidCallback"
        case .invalidACL: "InvalidACL"
        case .authFailed: "AuthFailed"
        case .sessionMoved: "SessionMoved"
        case .notReadOnly: "NotReadOnly"
        case .ephemeralOnLocalSession: "EphemeralOnLocalSession"
        case .noWatcher: "NoWatcher"
        case .requestTimeout: "RequestTimeout"
        case .reconfigDisabled: "ReconfigDisabled"
        case .sessionClosedRequireSaslAuth: "SessionClosedRequireSaslAuth"
        case .quotaExceeded: "QuotaExceeded"
        case .throttledOp: "ThrottledOp"
        }
    }
}
