public enum KafkaProtocolPlaceholder {}
