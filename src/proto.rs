//! Generated protocol code, one module per protocol generation.
//!
//! Both SeaweedFS generations use the package `messaging_pb` under the same gRPC path, with
//! incompatible messages, so each is generated into its own folder and module.

/// SeaweedFS messaging 2.x (the original protocol, served by the embedded broker).
pub mod v2 {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/v2/messaging_pb.rs"));
}

/// SeaweedFS MQ 4.x broker.
pub mod mq {
    /// The 4.x `messaging_pb` package.
    pub mod messaging_pb {
        #![allow(clippy::all, missing_docs)]
        include!(concat!(env!("OUT_DIR"), "/mq/messaging_pb.rs"));
    }
    /// The 4.x `schema_pb` package.
    pub mod schema_pb {
        #![allow(clippy::all, missing_docs)]
        include!(concat!(env!("OUT_DIR"), "/mq/schema_pb.rs"));
    }
}

/// The SeaweedFS filer subset (listing, deleting) and the on-disk `LogEntry` record.
pub mod filer {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/filer/filer_pb.rs"));
}

/// The SeaweedFS master subset (listing the cluster's brokers).
pub mod master {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/master/master_pb.rs"));
}

/// swmq's admin extension served by the embedded broker (`swmq.admin.v1`).
pub mod admin {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/admin/swmq.admin.v1.rs"));
}

#[cfg(test)]
mod tests;
