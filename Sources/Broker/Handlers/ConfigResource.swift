/// Kafka's ConfigResource.Type codes, as DescribeConfigs and the AlterConfigs APIs carry them.
enum ConfigResource: Int8 {
    case topic = 2
    case broker = 4
    case brokerLogger = 8
}
