import KafkaProtocol

/// IncrementalAlterConfigs (key 44), v0–1: SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) on
/// a topic's overrides. APPEND and SUBTRACT apply to list keys only (INVALID_CONFIG otherwise);
/// a key named twice in one resource is INVALID_REQUEST. Broker keys are static: INVALID_REQUEST.
struct IncrementalAlterConfigsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...1
    let admin: TopicAdmin
    let config: BrokerConfig

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<IncrementalAlterConfigsResponse>) -> Void) {
        let results = request.resources.map { resource -> IncrementalAlterConfigsResponse.AlterConfigsResourceResponse in
            var result = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                resourceType: resource.resourceType, resourceName: resource.resourceName)
            if let failure = ConfigResource.alter(type: resource.resourceType, configNames: resource.configs.map(\.name), alterTopic: {
                apply(resource, validateOnly: request.validateOnly)
            }) {
                result.errorCode = failure.code.rawValue
                result.errorMessage = failure.message
            }
            return result
        }
        respond(.of(IncrementalAlterConfigsResponse(responses: results)))
    }

    func apply(_ resource: IncrementalAlterConfigsRequest.AlterConfigsResource, validateOnly: Bool) -> AdminError? {
        guard let topic = admin.registry.topic(named: resource.resourceName) else {
            return AdminError(.unknownTopicOrPartition, "The topic '\(resource.resourceName)' does not exist.")
        }
        let names = resource.configs.map(\.name)
        if let twice = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            return AdminError(.invalidRequest, "Error due to duplicate config keys: \(twice)")
        }
        var configs: [String: String?] = topic.configs.mapValues { Optional($0) }
        for op in resource.configs {
            let key = TopicConfigKeys.byName[op.name]
            switch op.configOperation {
            case 0:
                configs[op.name] = .some(op.value)
            case 1:
                configs[op.name] = nil
            case 2, 3:
                guard let key, key.definition.type == .list else {
                    return AdminError(.invalidConfig, "Config value append is not allowed for config key: \(op.name)")
                }
                let current = (configs[op.name] ?? nil) ?? TopicDefaults.value(for: op.name, in: config) ?? ""
                var items = current.split(separator: ",").map(String.init)
                let given = (op.value ?? "").split(separator: ",").map(String.init)
                if op.configOperation == 2 {
                    for item in given where !items.contains(item) { items.append(item) }
                } else {
                    items.removeAll { given.contains($0) }
                }
                configs[op.name] = .some(items.joined(separator: ","))
            default:
                return AdminError(.invalidRequest, "Unknown config operation \(op.configOperation) for \(op.name)")
            }
        }
        if case .failure(let e) = admin.setConfigs(topic: topic.name, configs, validateOnly: validateOnly) { return e }
        return nil
    }
}
