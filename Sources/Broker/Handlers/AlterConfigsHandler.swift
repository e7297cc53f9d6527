import KafkaProtocol

/// AlterConfigs (key 33), v0–2: replaces a topic's whole set of overrides (keys not given go
/// back to their defaults). validateOnly checks without changing. Broker configuration is
/// static in Petrel: altering it answers INVALID_REQUEST naming the keys, as Kafka does for
/// keys that cannot change dynamically.
struct AlterConfigsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...2
    let admin: TopicAdmin

    func handle(_ request: AlterConfigsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<AlterConfigsResponse>) -> Void) {
        let results = request.resources.map { resource -> AlterConfigsResponse.AlterConfigsResourceResponse in
            var result = AlterConfigsResponse.AlterConfigsResourceResponse(resourceType: resource.resourceType, resourceName: resource.resourceName)
            let failure = ConfigResource.alter(type: resource.resourceType, configNames: resource.configs.map(\.name)) {
                let configs = Dictionary(resource.configs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
                if case .failure(let e) = admin.setConfigs(topic: resource.resourceName, configs, validateOnly: request.validateOnly) {
                    return e
                }
                return nil
            }
            if let failure {
                result.errorCode = failure.code.rawValue
                result.errorMessage = failure.message
            }
            return result
        }
        respond(.of(AlterConfigsResponse(responses: results)))
    }
}
