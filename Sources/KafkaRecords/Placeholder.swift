public enum KafkaRecordsPlaceholder {}
