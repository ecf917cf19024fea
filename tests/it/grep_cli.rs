//! `swmq grep` through the binary against the embedded broker (server-side search).
#[allow(unused_imports)]
use crate::cli_common;
use crate::grep_common;
use crate::support;

use cli_common::Target;
use support::embedded::start_embedded;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grep_cli_on_the_embedded_broker() {
    let e = start_embedded().await;
    let t = Target {
        broker: e.addr.clone(),
        filer: format!("127.0.0.1:{}", support::free_port()),
        protocol: "legacy",
    };
    grep_common::check_grep_cli(&t, &support::unique_namespace("gc")).await;
}
