import KafkaProtocol

/// InitProducerId (key 22), v0–5. For an idempotent producer (no transactional id) Kafka hands
/// out a fresh producer id with epoch 0 every time, even when the client names its old id and
/// epoch (v3+ epoch bump after a sequence error), and so does this. Transactions are not served
/// yet: a transactional id is answered INVALID_REQUEST, which clients report as a fatal error
/// rather than retrying forever.
struct InitProducerIdHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...5
    let producerIds: ProducerIdManager
    let log: @Sendable (String) -> Void

    func handle(_ request: InitProducerIdRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<InitProducerIdResponse>) -> Void) {
        if let transactionalId = request.transactionalId {
            log("InitProducerId from \(context.clientId ?? "?") for transactional id '\(transactionalId)' refused: transactions are not supported yet")
            return respond(.of(InitProducerIdResponse(errorCode: ErrorCode.invalidRequest.rawValue, producerId: -1, producerEpoch: -1)))
        }
        do {
            respond(.of(InitProducerIdResponse(errorCode: 0, producerId: try producerIds.nextId(), producerEpoch: 0)))
        } catch {
            log("InitProducerId: cannot allocate a producer id block: \(error)")
            respond(.of(InitProducerIdResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue, producerId: -1, producerEpoch: -1)))
        }
    }
}
