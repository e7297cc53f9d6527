import Network
import Wire
import ZooKeeperProtocol

/// The client operations after the handshake: one case per op, with ZooKeeper's checks and
/// replies (`FinalRequestProcessor` for reads, `PrepRequestProcessor` via `RequestPreparer`
/// for writes).
extension RequestProcessor {
    func handleRequest(_ incoming: Incoming, _ context: RequestContext) {
        let connection = context.connection
        guard connection.sessionId != 0 else {
            return finish(context, .close(reason: "request before the connect handshake"))
        }
        switch incoming {
        case .unknownOp(let header):
            // ZooKeeper's UnimplementedRequestProcessor: answer, then close.
            // The request never got a zxid, and ZooKeeper says so: -1.
            finish(context, xid: header.xid, op: "NA", error: .unimplemented, zxid: -1)
            closeAfterReplies(connection, reason: "unsupported op code \(header.type)")
        case .malformed(let header, let why):
            logger.info("malformed \(OpCode(rawValue: header.type)?.name ?? "\(header.type)") request from \(connection.info): \(why)")
            _ = touch(connection.sessionId)
            if ensemble.mode != .following, let op = OpCode(rawValue: header.type), [.create, .create2, .createTTL, .createContainer, .delete, .setData, .setACL, .check, .multi].contains(op) {
                let (zxid, _) = commit(.error(ErrorCode.marshallingError.rawValue), session: connection.sessionId, cxid: header.xid)
                finish(context, xid: header.xid, op: "NA", error: .marshallingError, zxid: zxid)
            } else {
                finish(context, xid: header.xid, op: "NA", error: .marshallingError)
            }
        case .request(let header, let request):
            dispatch(request, header: header, context)
        case .sasl(let header):
            _ = touch(connection.sessionId)
            // SetSASLResponse with a null token.
            finish(context, .frame(Frames.reply(xid: header.xid, zxid: 0) { $0.writeInt32(-1) }), op: "SASL", cxid: header.xid)
        case .connect, .garbage:
            finish(context, .close(reason: "unexpected handshake"))
        }
    }

    private func dispatch(_ request: ZooKeeperRequest, header: RequestHeader, _ context: RequestContext) {
        let connection = context.connection
        let session = connection.sessionId
        let xid = header.xid
        if case .auth(let packet) = request { return addAuth(packet, xid: xid, context) }
        guard touch(session) else {
            return finish(context, xid: xid, op: "NA", error: .sessionExpired)
        }
        switch request {
        case .ping:
            finish(context, xid: xid, op: "PING")
        case .create(let create, let op):
            write(context, xid: xid, op: "CREA", prepare: { () throws(ErrorCode) -> TxnBody in
                try self.preparer(connection).create(create, op: op)
            }) { result, writer in
                guard case .created(let path, let stat) = result else { return }
                if op == .create { CreateResponse(path: path).encode(into: &writer) } else { Create2Response(path: path, stat: stat).encode(into: &writer) }
            }
        case .delete(let delete):
            write(context, xid: xid, op: "DELE", prepare: { () throws(ErrorCode) -> TxnBody in try self.preparer(connection).delete(delete) }, respond: nil)
        case .setData(let setData):
            write(context, xid: xid, op: "SETD", prepare: { () throws(ErrorCode) -> TxnBody in try self.preparer(connection).setData(setData) }) { result, writer in
                if case .dataSet(let stat) = result { stat.encode(into: &writer) }
            }
        case .setACL(let setACL):
            write(context, xid: xid, op: "SETA", prepare: { () throws(ErrorCode) -> TxnBody in
                try self.preparer(connection).setACL(setACL)
            }) { result, writer in
                if case .aclSet(let stat) = result { stat.encode(into: &writer) }
            }
        case .check(let check):
            write(context, xid: xid, op: "CHEC", prepare: { () throws(ErrorCode) -> TxnBody in try self.preparer(connection).check(check) }) { _, writer in
                (self.database.tree.stat(check.path) ?? Stat()).encode(into: &writer)
            }
        case .multi(let ops):
            multi(ops, xid: xid, context)
        case .reconfig:
            let (zxid, _) = commit(.error(ErrorCode.reconfigDisabled.rawValue), session: session, cxid: xid)
            finish(context, xid: xid, op: "RECO", error: .reconfigDisabled, zxid: zxid)
        case .closeSession:
            // The reply must be queued before the connection is closed, or it is dropped.
            let zxid = closeSession(session, cxid: xid, reason: "", closeConnection: false)
            finish(context, xid: xid, op: "CLOS", zxid: zxid)
            closeAfterReplies(connection, reason: "client closed session 0x\(String(UInt64(bitPattern: session), radix: 16))")
        default:
            read(request, xid: xid, context)
        }
    }

    // MARK: Writes

    /// Prepares, applies and answers one write; a refused write still takes a zxid (an error
    /// transaction), as in ZooKeeper.
    private func write(
        _ context: RequestContext, xid: Int32, op: String, prepare: () throws(ErrorCode) -> TxnBody,
        respond: ((ZKDatabase.OpResult, inout ByteWriter) -> Void)?
    ) {
        let session = context.connection.sessionId
        let body: TxnBody
        do {
            body = try prepare()
        } catch {
            let (zxid, _) = commit(.error(error.rawValue), session: session, cxid: xid)
            return finish(context, xid: xid, op: op, error: error, zxid: zxid)
        }
        let (zxid, outcome) = commit(body, session: session, cxid: xid)
        guard let result = outcome.results.first else { return finish(context, xid: xid, op: op, error: .systemError, zxid: zxid) }
        if case .failed(let code) = result { return finish(context, xid: xid, op: op, error: code, zxid: zxid) }
        if let respond {
            finish(context, xid: xid, op: op, zxid: zxid) { respond(result, &$0) }
        } else {
            finish(context, xid: xid, op: op, zxid: zxid)
        }
    }

    /// All or nothing: each part is prepared against the state the earlier parts leave (a
    /// trial run, undone), then the whole multi is one transaction. On a refusal nothing
    /// changes: parts before it report OK, it reports its error, parts after it
    /// RuntimeInconsistency, and an error transaction takes the zxid.
    private func multi(_ ops: [MultiOp], xid: Int32, _ context: RequestContext) {
        let connection = context.connection
        let session = connection.sessionId
        var bodies: [TxnBody] = []
        var failure: (index: Int, code: ErrorCode)?
        beginTrial()
        for (index, op) in ops.enumerated() {
            do throws(ErrorCode) {
                let body: TxnBody
                switch op {
                case .create(let request, let code): body = try preparer(connection).create(request, op: code)
                case .delete(let request): body = try preparer(connection).delete(request)
                case .setData(let request): body = try preparer(connection).setData(request)
                case .check(let request): body = try preparer(connection).check(request)
                case .getData, .getChildren: throw ErrorCode.marshallingError
                }
                if case .failed(let code)? = applyTrial(body, session: session).results.first { throw code }
                bodies.append(body)
            } catch {
                failure = (index, error)
                break
            }
        }
        endTrial()
        if let failure {
            let (zxid, _) = commit(.error(failure.code.rawValue), session: session, cxid: xid)
            let results: [MultiResult] = ops.indices.map { index in
                if index < failure.index { return .error(0) }
                if index == failure.index { return .error(failure.code.rawValue) }
                return .error(ErrorCode.runtimeInconsistency.rawValue)
            }
            return finish(context, xid: xid, op: "MULT", zxid: zxid) { MultiResult.encodeList(results, into: &$0) }
        }
        let (zxid, outcome) = commit(.multi(bodies), session: session, cxid: xid)
        var results: [MultiResult] = []
        for (op, result) in zip(ops, outcome.results) {
            switch (op, result) {
            case (.create(_, let code), .created(let path, let stat)): results.append(.create(path: path, stat: stat, op: code))
            case (_, .deleted): results.append(.delete)
            case (_, .dataSet(let stat)): results.append(.setData(stat))
            case (_, .checked): results.append(.check)
            case (_, .failed(let code)): results.append(.error(code.rawValue))
            default: results.append(.error(ErrorCode.systemError.rawValue))
            }
        }
        finish(context, xid: xid, op: "MULT", zxid: zxid) { MultiResult.encodeList(results, into: &$0) }
    }

    private func addAuth(_ packet: AuthPacket, xid: Int32, _ context: RequestContext) {
        let connection = context.connection
        guard let id = AuthSchemes.authenticate(scheme: packet.scheme, auth: packet.auth) else {
            stats.authFailed()
            logger.info("authentication with scheme \(packet.scheme) failed for \(connection.info)")
            finish(context, .frame(Frames.reply(xid: xid, zxid: 0, error: .authFailed)), op: "AUTH", cxid: xid)
            return closeAfterReplies(connection, reason: "authentication failed")
        }
        if !connection.ids.contains(id) { connection.ids.append(id) }
        finish(context, .frame(Frames.reply(xid: xid, zxid: 0)), op: "AUTH", cxid: xid)
    }

    // MARK: Reads

    private func allows(_ node: DataNode, _ permissions: Permissions, _ connection: ClientConnection) -> Bool {
        let requester = requester(connection)
        return requester.isSuper || ACLPolicy.allows(node.acl, permissions, ids: requester.ids)
    }

    private func read(_ request: ZooKeeperRequest, xid: Int32, _ context: RequestContext) {
        let connection = context.connection
        let watcher = connection.info.id
        let tree = database.tree
        let extended = config.extendedTypesEnabled
        func fail(_ code: ErrorCode, _ op: String) { finish(context, xid: xid, op: op, error: code) }
        switch request {
        case .exists(let exists):
            if exists.path.utf8.contains(0) { return fail(.badArguments, "EXIS") }
            // No permission is needed to learn that a node exists (ZooKeeper 3.8 checks none).
            let node = tree.node(exists.path)
            if exists.watch { watchManager.add(.data, path: exists.path, watcher: watcher) }
            guard let stat = node?.stat(extendedTypes: extended) else { return fail(.noNode, "EXIS") }
            finish(context, xid: xid, op: "EXIS") { stat.encode(into: &$0) }
        case .getData(let get):
            switch readData(get, connection) {
            case .success(let (data, stat)): finish(context, xid: xid, op: "GETD") { GetDataResponse(data: data, stat: stat).encode(into: &$0) }
            case .failure(let code): fail(code, "GETD")
            }
        case .getChildren(let get, let withStat):
            switch readChildren(get, connection) {
            case .success(let (children, stat)):
                finish(context, xid: xid, op: "GETC") { GetChildrenResponse(children: children, stat: withStat ? stat : nil).encode(into: &$0) }
            case .failure(let code): fail(code, "GETC")
            }
        case .getACL(let get):
            guard let node = tree.node(get.path) else { return fail(.noNode, "GETA") }
            if !allows(node, [.read, .admin], connection) { return fail(.noAuth, "GETA") }
            let acl = allows(node, .admin, connection) ? node.acl : ACLPolicy.redacted(node.acl)
            finish(context, xid: xid, op: "GETA") { GetACLResponse(acl: acl, stat: node.stat(extendedTypes: extended)).encode(into: &$0) }
        case .getAllChildrenNumber(let get):
            guard let node = tree.node(get.path) else { return fail(.noNode, "GETACN") }
            if !allows(node, .read, connection) { return fail(.noAuth, "GETACN") }
            let count = Int32(clamping: tree.descendantCount(of: get.path))
            finish(context, xid: xid, op: "GETACN") { $0.writeInt32(count) }
        case .getEphemerals(let get):
            let prefix = get.path.trimming(" \t")
            let all = tree.ephemerals[connection.sessionId] ?? []
            let paths = (prefix.isEmpty || prefix == "/" ? Array(all) : all.filter { $0.hasPrefix(get.path) }).sorted()
            finish(context, xid: xid, op: "GETE") { $0.writeJuteStrings(paths) }
        case .sync(let sync):
            finish(context, xid: xid, op: "SYNC") { $0.writeJuteString(sync.path) }
        case .setWatches(let set):
            setWatches(set, connection)
            finish(context, xid: xid, op: set.isVersion2 ? "STW2" : "SETW")
        case .addWatch(let add):
            guard let mode = AddWatchMode(rawValue: add.mode) else { return fail(.marshallingError, "ADDW") }
            watchManager.add(mode == .persistent ? .persistent : .recursive, path: add.path, watcher: watcher)
            finish(context, xid: xid, op: "ADDW") { $0.writeInt32(0) }
        case .checkWatches(let check):
            guard let type = WatcherType(rawValue: check.type) else { return fail(.marshallingError, "CHKW") }
            if !watchManager.contains(type, path: check.path, watcher: watcher) { return fail(.noWatcher, "CHKW") }
            finish(context, xid: xid, op: "CHKW")
        case .removeWatches(let remove):
            guard let type = WatcherType(rawValue: remove.type) else { return fail(.marshallingError, "REMW") }
            if !watchManager.remove(type, path: remove.path, watcher: watcher) { return fail(.noWatcher, "REMW") }
            finish(context, xid: xid, op: "REMW")
        case .whoAmI:
            let infos = connection.ids.map { id in
                ClientInfo(authScheme: id.scheme, user: id.scheme == "digest" ? String(id.id.split(separator: ":").first ?? "") : id.id)
            }
            finish(context, xid: xid, op: "HOMI") { WhoAmIResponse(clientInfo: infos).encode(into: &$0) }
        case .multiRead(let ops):
            var results: [MultiResult] = []
            for op in ops {
                switch op {
                case .getData(let get):
                    switch readData(get, connection) {
                    case .success(let (data, stat)): results.append(.getData(data: data, stat: stat))
                    case .failure(let code): results.append(.error(code.rawValue))
                    }
                case .getChildren(let get):
                    switch readChildren(get, connection) {
                    case .success(let (children, _)): results.append(.getChildren(children))
                    case .failure(let code): results.append(.error(code.rawValue))
                    }
                default:
                    results.append(.error(ErrorCode.marshallingError.rawValue))
                }
            }
            finish(context, xid: xid, op: "MLTR") { MultiResult.encodeList(results, into: &$0) }
        default:
            fail(.unimplemented, "NA")
        }
    }

    private func readData(_ get: GetDataRequest, _ connection: ClientConnection) -> Result<([UInt8], Stat), ErrorCode> {
        guard let node = database.tree.node(get.path) else { return .failure(.noNode) }
        if !allows(node, .read, connection) { return .failure(.noAuth) }
        if get.watch { watchManager.add(.data, path: get.path, watcher: connection.info.id) }
        return .success((node.data, node.stat(extendedTypes: config.extendedTypesEnabled)))
    }

    private func readChildren(_ get: GetChildrenRequest, _ connection: ClientConnection) -> Result<([String], Stat), ErrorCode> {
        guard let node = database.tree.node(get.path) else { return .failure(.noNode) }
        if !allows(node, .read, connection) { return .failure(.noAuth) }
        if get.watch { watchManager.add(.child, path: get.path, watcher: connection.info.id) }
        return .success((node.children.sorted(), node.stat(extendedTypes: config.extendedTypesEnabled)))
    }

    /// Re-registers a reconnected client's watches; for every change it missed (relative to
    /// the last zxid it saw) it is told at once instead (`DataTree.setWatches`).
    private func setWatches(_ set: SetWatchesRequest, _ connection: ClientConnection) {
        let watcher = connection.info.id
        let tree = database.tree
        for path in set.dataWatches {
            if let node = tree.node(path) {
                if node.mzxid > set.relativeZxid {
                    notify(connection, .nodeDataChanged, path: path)
                } else {
                    watchManager.add(.data, path: path, watcher: watcher)
                }
            } else {
                notify(connection, .nodeDeleted, path: path)
            }
        }
        for path in set.existWatches {
            if tree.node(path) != nil {
                notify(connection, .nodeCreated, path: path)
            } else {
                watchManager.add(.data, path: path, watcher: watcher)
            }
        }
        for path in set.childWatches {
            if let node = tree.node(path) {
                if node.pzxid > set.relativeZxid {
                    notify(connection, .nodeChildrenChanged, path: path)
                } else {
                    watchManager.add(.child, path: path, watcher: watcher)
                }
            } else {
                notify(connection, .nodeDeleted, path: path)
            }
        }
        for path in set.persistentWatches { watchManager.add(.persistent, path: path, watcher: watcher) }
        for path in set.persistentRecursiveWatches { watchManager.add(.recursive, path: path, watcher: watcher) }
    }
}
