import KafkaProtocol

/// DescribeConfigs (key 32), v0–4. Topics: every topic key with its value and source (a topic
/// override, a broker setting, or Kafka's default), synonyms when asked (v1+), type and
/// documentation (v3+). The broker (its own id, or "" for cluster defaults): its static keys,
/// read-only, secrets hidden. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION; another broker's id:
/// INVALID_REQUEST, as Kafka answers.
struct DescribeConfigsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...4
    let registry: TopicRegistry
    let config: BrokerConfig
    let brokerId: Int32

    func handle(_ request: DescribeConfigsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DescribeConfigsResponse>) -> Void) {
        let results = request.resources.map { resource -> DescribeConfigsResponse.DescribeConfigsResult in
            var result = DescribeConfigsResponse.DescribeConfigsResult(resourceType: resource.resourceType, resourceName: resource.resourceName)
            let descriptions: [ConfigDescription]
            switch ConfigResource(rawValue: resource.resourceType) {
            case .topic:
                guard let topic = registry.topic(named: resource.resourceName) else {
                    result.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.errorMessage = "Topic \(resource.resourceName) does not exist."
                    return result
                }
                descriptions = ConfigDescriber.topic(overrides: topic.configs, config: config, keys: resource.configurationKeys)
            case .broker:
                guard resource.resourceName.isEmpty || resource.resourceName == String(brokerId) else {
                    result.errorCode = ErrorCode.invalidRequest.rawValue
                    result.errorMessage = "Unexpected broker id, expected \(brokerId) or empty string, but received \(resource.resourceName)"
                    return result
                }
                descriptions = resource.resourceName.isEmpty
                    ? [] : ConfigDescriber.broker(config: config, keys: resource.configurationKeys)
            default:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Unsupported resource type \(resource.resourceType)"
                return result
            }
            result.configs = descriptions.map { d in
                .init(
                    name: d.name, value: d.value, readOnly: d.readOnly, isDefault: context.apiVersion == 0 && d.source == .defaultConfig,
                    configSource: d.source.rawValue, isSensitive: d.isSensitive,
                    synonyms: request.includeSynonyms ? d.synonyms.map { .init(name: $0.name, value: $0.value, source: $0.source.rawValue) } : [],
                    configType: d.type.describeCode,
                    documentation: request.includeDocumentation ? d.documentation : nil)
            }
            return result
        }
        respond(.of(DescribeConfigsResponse(results: results)))
    }
}
