/// Kafka's ConfigResource.Type codes, as DescribeConfigs and the AlterConfigs APIs carry them.
enum ConfigResource: Int8 {
    case topic = 2
    case broker = 4
    case brokerLogger = 8
}

extension ConfigResource {
    /// The outcome of altering one resource's configs: topics go to `alterTopic`; the broker's
    /// keys are static in Petrel (INVALID_REQUEST naming them, as Kafka answers for keys it
    /// cannot change dynamically); other types are not served.
    static func alter(type: Int8, configNames: [String], alterTopic: () -> AdminError?) -> AdminError? {
        switch ConfigResource(rawValue: type) {
        case .topic: return alterTopic()
        case .broker: return AdminError(.invalidRequest, "Cannot update these configs dynamically: \(configNames.sorted())")
        default: return AdminError(.invalidRequest, "Unsupported resource type \(type)")
        }
    }
}
