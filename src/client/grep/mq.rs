//! SeaweedFS MQ 4.x: the search over the filer's log files, partition by partition in
//! parallel, merged by time.

use super::{GrepQuery, GrepStream};
use crate::client::mq::MqClient;
use crate::client::{ClientError, TopicName};
use crate::matcher::Matcher;

/// Starts the file search; `Ok(None)`: search through the read path instead (until the
/// 4.x log-file reader is active, every 4.x search does).
pub async fn start(
    _c: &MqClient,
    _topic: &TopicName,
    _q: &GrepQuery,
    _matcher: &Matcher,
) -> Result<Option<GrepStream>, ClientError> {
    Ok(None)
}
