//! A 4.x topic's configuration: reading it (`GetTopicConfiguration` and the generation
//! directories in the filer), creating with retention, altering retention or (explicitly)
//! the partition count, and truncating (deleting every partition's log files, as
//! `weed shell mq.topic.truncate` does).
//!
//! `ConfigureTopic` with the stored partition count updates retention and schema in place;
//! another count starts a new generation (`v…` directory) whose old data is no longer
//! served. The schema fields are always sent back as stored: a request without them would
//! clear the topic's schema (`weed/mq/broker/broker_grpc_configure.go`).

use serde::Serialize;

use super::logs::{generation_dir, parse_log_name};
use super::{MqClient, is_missing_topic, pb_topic, topic_dir};
use crate::client::filer::{entry_size, join};
use crate::client::{ClientError, TopicName};
use crate::proto::mq::messaging_pb::{
    ConfigureTopicRequest, GetTopicConfigurationRequest, GetTopicConfigurationResponse,
    TopicRetention,
};

/// A topic's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// How long data is kept, in seconds.
    pub seconds: i64,
    /// Whether the purger applies it.
    pub enabled: bool,
}

/// One generation (`v…` directory) of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generation {
    /// Its directory name.
    pub dir: String,
    /// Its creation time, from the name.
    pub created_ns: Option<i64>,
    /// Whether it is the one served now.
    pub current: bool,
    /// Its partition directories.
    pub partitions: usize,
}

/// What `GetTopicConfiguration` and the filer say about a topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicConfig {
    /// The topic.
    pub topic: TopicName,
    /// Partitions of the current generation.
    pub partition_count: i32,
    /// Retention (`None`: never set).
    pub retention: Option<Retention>,
    /// Creation time (one-second resolution).
    pub created_ns: Option<i64>,
    /// Last change (one-second resolution).
    pub updated_ns: Option<i64>,
    /// Every generation found in the filer, oldest first.
    pub generations: Vec<Generation>,
    /// `schema_format` (empty: none).
    pub schema_format: String,
    /// The key columns of the record type.
    pub key_columns: Vec<String>,
    /// Fields of the record type (0: no schema).
    pub schema_fields: usize,
}

impl TopicConfig {
    /// `7d`, `off` or `not set`.
    pub fn retention_text(&self) -> String {
        match self.retention {
            Some(r) if r.enabled => {
                crate::time::format_duration(r.seconds.saturating_mul(1_000_000_000))
            }
            Some(_) => "off".into(),
            None => "not set".into(),
        }
    }

    /// The lines `describe`, `topic config` and the TUI inspector show.
    pub fn summary(&self, utc: bool) -> Vec<String> {
        use crate::format::escape::escape;
        use crate::time::format_datetime;
        let mut out = vec![
            format!("partitions  {}", self.partition_count),
            format!("retention   {}", self.retention_text()),
        ];
        if let Some(ns) = self.created_ns {
            out.push(format!("created     {}", format_datetime(ns, utc)));
        }
        if let Some(ns) = self.updated_ns {
            out.push(format!("updated     {}", format_datetime(ns, utc)));
        }
        let schema = if self.schema_fields == 0 {
            "none".to_string()
        } else {
            let keys = if self.key_columns.is_empty() {
                String::new()
            } else {
                format!(", key {}", escape(&self.key_columns.join(",")))
            };
            let fmt = if self.schema_format.is_empty() {
                "-"
            } else {
                &self.schema_format
            };
            format!("{} fields ({}){keys}", self.schema_fields, escape(fmt))
        };
        out.push(format!("schema      {schema}"));
        for g in &self.generations {
            let mark = if g.current { "  (current)" } else { "" };
            out.push(format!(
                "generation  {}  {} partitions{mark}",
                escape(&g.dir),
                g.partitions
            ));
        }
        out
    }
}

/// What a truncate deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TruncateOutcome {
    /// Partition directories cleared (every generation).
    pub partitions: usize,
    /// Files deleted.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// A change of a topic's configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopicChange {
    /// A new partition count (refused unless `new_generation` when it differs).
    pub partitions: Option<u32>,
    /// `Some(None)`: retention off; `Some(Some(secs))`: keep data that long.
    pub retention: Option<Option<i64>>,
    /// The operator means to start a new generation (old data no longer served).
    pub new_generation: bool,
}

fn check_count(partitions: u32) -> Result<(), ClientError> {
    if (1..=2520).contains(&partitions) {
        Ok(())
    } else {
        Err(ClientError::invalid(
            "partition count",
            format!("{partitions}: a 4.x topic has 1 to 2520 partitions"),
        ))
    }
}

fn retention_pb(r: Option<i64>) -> TopicRetention {
    match r {
        Some(seconds) => TopicRetention {
            retention_seconds: seconds,
            enabled: true,
        },
        None => TopicRetention {
            retention_seconds: 0,
            enabled: false,
        },
    }
}

/// The creation time a generation directory name stands for (`v2026-12-01-22-40-05`).
pub fn parse_generation(name: &str) -> Option<i64> {
    parse_log_name(name.strip_prefix('v')?)
}

impl MqClient {
    async fn raw_config(
        &self,
        topic: &TopicName,
    ) -> Result<GetTopicConfigurationResponse, ClientError> {
        let req = GetTopicConfigurationRequest {
            topic: Some(pb_topic(topic)),
        };
        match self.broker().get_topic_configuration(req).await {
            Ok(r) => Ok(r.into_inner()),
            // 4.48 answers a topic without topic.conf with UNKNOWN "failed to read topic
            // configuration: … filer: no entry is found in filer store" (seen).
            Err(s) if is_missing_topic(&s) || s.message().contains("no entry is found") => {
                Err(ClientError::TopicNotFound(topic.to_string()))
            }
            Err(s) => Err(ClientError::rpc(
                format!("configuration of {topic} at {}", self.broker_addr()),
                s,
            )),
        }
    }

    /// The topic's configuration and generations.
    pub async fn topic_config(&self, topic: &TopicName) -> Result<TopicConfig, ClientError> {
        let r = self.raw_config(topic).await?;
        let current: Vec<String> = r
            .broker_partition_assignments
            .iter()
            .filter_map(|a| a.partition.as_ref())
            .map(|p| generation_dir(p.unix_time_ns))
            .collect();
        let mut generations = Vec::new();
        for e in self.filer.list_entries(&topic_dir(topic)).await? {
            if !e.is_directory || !e.name.starts_with('v') {
                continue;
            }
            let parts = self
                .filer
                .list_entries(&join(&topic_dir(topic), &e.name))
                .await?;
            generations.push(Generation {
                created_ns: parse_generation(&e.name),
                current: current.contains(&e.name),
                partitions: parts.iter().filter(|p| p.is_directory).count(),
                dir: e.name,
            });
        }
        Ok(TopicConfig {
            topic: topic.clone(),
            partition_count: r.partition_count,
            retention: r.retention.map(|t| Retention {
                seconds: t.retention_seconds,
                enabled: t.enabled,
            }),
            created_ns: Some(r.created_at_ns).filter(|n| *n > 0),
            updated_ns: Some(r.last_updated_ns).filter(|n| *n > 0),
            generations,
            schema_format: r.schema_format,
            key_columns: r.key_columns,
            schema_fields: r.message_record_type.map_or(0, |t| t.fields.len()),
        })
    }

    /// Creates a topic with `partitions` partitions and, when given, a retention in
    /// seconds. An existing topic is refused (see [`MqClient::alter_topic`]).
    pub async fn create_topic_with(
        &self,
        topic: &TopicName,
        partitions: u32,
        retention_secs: Option<i64>,
    ) -> Result<(), ClientError> {
        check_count(partitions)?;
        match self.raw_config(topic).await {
            Ok(r) => {
                return Err(ClientError::invalid(
                    "topic",
                    format!(
                        "{topic} already exists with {} partitions; change it with \
                         `swmq topic alter`",
                        r.partition_count
                    ),
                ));
            }
            Err(ClientError::TopicNotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let req = ConfigureTopicRequest {
            topic: Some(pb_topic(topic)),
            partition_count: partitions as i32,
            retention: retention_secs.map(|s| retention_pb(Some(s))),
            ..Default::default()
        };
        self.configure(topic, req).await
    }

    /// Changes retention and (with `new_generation`) the partition count, keeping the
    /// schema as stored.
    pub async fn alter_topic(
        &self,
        topic: &TopicName,
        change: TopicChange,
    ) -> Result<(), ClientError> {
        let r = self.raw_config(topic).await?;
        let count = match change.partitions {
            Some(n) => {
                check_count(n)?;
                if n as i32 != r.partition_count && !change.new_generation {
                    return Err(ClientError::invalid(
                        "partition count",
                        format!(
                            "{topic} has {} partitions; changing it to {n} starts a new \
                             generation: the brokers serve only the new, empty partitions \
                             and the records written so far are no longer read (they stay \
                             in the filer); pass --new-generation if that is what you mean",
                            r.partition_count
                        ),
                    ));
                }
                n as i32
            }
            None => r.partition_count,
        };
        let req = ConfigureTopicRequest {
            topic: Some(pb_topic(topic)),
            partition_count: count,
            retention: change.retention.map(retention_pb).or(r.retention),
            message_record_type: r.message_record_type,
            key_columns: r.key_columns,
            schema_format: r.schema_format,
        };
        self.configure(topic, req).await
    }

    async fn configure(
        &self,
        topic: &TopicName,
        req: ConfigureTopicRequest,
    ) -> Result<(), ClientError> {
        self.broker().configure_topic(req).await.map_err(|s| {
            ClientError::rpc(format!("configure {topic} at {}", self.broker_addr()), s)
        })?;
        Ok(())
    }

    /// Deletes the files of every partition directory of every generation (log files,
    /// parquet files, `checkpoint.offset`), keeping `*.conf` files and directories (the
    /// consumer groups' `consumers/`), as `weed shell mq.topic.truncate` does. The brokers
    /// keep reporting the old high-water marks.
    pub async fn truncate(&self, topic: &TopicName) -> Result<TruncateOutcome, ClientError> {
        self.raw_config(topic).await?;
        let mut out = TruncateOutcome::default();
        let dir = topic_dir(topic);
        for g in self.filer.list_entries(&dir).await? {
            if !g.is_directory || !g.name.starts_with('v') {
                continue;
            }
            let gdir = join(&dir, &g.name);
            for p in self.filer.list_entries(&gdir).await? {
                if !p.is_directory {
                    continue;
                }
                let pdir = join(&gdir, &p.name);
                out.partitions += 1;
                for f in self.filer.list_entries(&pdir).await? {
                    if f.is_directory || f.name.ends_with(".conf") || f.name.ends_with(".config") {
                        continue;
                    }
                    self.filer.delete_entry(&pdir, &f.name).await?;
                    out.files += 1;
                    out.bytes += entry_size(&f);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_names_and_retention() {
        assert_eq!(
            parse_generation("v2026-12-01-22-40-05"),
            Some(1_796_164_805_000_000_000)
        );
        assert_eq!(parse_generation("2026-12-01-22-40-05"), None);
        assert_eq!(parse_generation("vnope"), None);
        assert_eq!(retention_pb(Some(60)).retention_seconds, 60);
        assert!(!retention_pb(None).enabled);
        assert!(check_count(0).is_err() && check_count(2521).is_err());
        assert!(check_count(1).is_ok() && check_count(2520).is_ok());
    }
}
