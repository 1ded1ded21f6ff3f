//! NATS JetStream backend (being written).
