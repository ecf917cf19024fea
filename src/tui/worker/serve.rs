//! The connected worker serving commands: a subscription or search runs in its own task
//! (cancellable by id); a request is answered by a task of its own.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::super::msg::{ReqId, Start, SubId, WorkerCmd, WorkerEvent};
use super::{send, tail, union_histogram};
use crate::client::{Client, GrepQuery, HistogramRequest, OutMessage, TopicName};

/// What the command loop holds: the client, the way to the UI, and the running tasks.
pub(super) struct Server {
    pub(super) client: Client,
    pub(super) tx: mpsc::Sender<WorkerEvent>,
    pub(super) stop: CancellationToken,
    /// Wakes the refresher: list the topics now.
    pub(super) refresh: Arc<Notify>,
    /// The running subscriptions and searches, by id.
    pub(super) subs: HashMap<SubId, CancellationToken>,
    /// The running search (one at a time).
    pub(super) find: Option<SubId>,
}

impl Server {
    /// Serves one command.
    pub(super) fn command(&mut self, cmd: WorkerCmd) {
        match cmd {
            WorkerCmd::Subscribe { id, topic, start } => self.subscribe(id, vec![topic], start),
            WorkerCmd::SubscribeMany { id, topics, start } => self.subscribe(id, topics, start),
            WorkerCmd::Find { id, topic, query } => self.find(id, topic, query),
            WorkerCmd::Cancel { id } => {
                if let Some(t) = self.subs.remove(&id) {
                    t.cancel();
                }
            }
            WorkerCmd::RefreshTopics => self.refresh.notify_one(),
            WorkerCmd::Histogram {
                id,
                topic,
                start_ns,
                stop_ns,
                buckets,
            } => self.histogram(id, vec![topic], start_ns, stop_ns, buckets),
            WorkerCmd::HistogramMany {
                id,
                topics,
                start_ns,
                stop_ns,
                buckets,
            } => self.histogram(id, topics, start_ns, stop_ns, buckets),
            WorkerCmd::Inspect { id, topic, cluster } => self.answer(move |c| async move {
                let result = super::super::inspector::inspect(&c, &topic, cluster)
                    .await
                    .map(Box::new);
                WorkerEvent::Inspected { id, result }
            }),
            WorkerCmd::Publish {
                req,
                topic,
                messages,
            } => self.publish(req, topic, messages),
            WorkerCmd::CloseChannel { req, name } => self.answer(move |c| async move {
                let result = c.chan_close(&name).await;
                WorkerEvent::ChannelClosed { req, result }
            }),
            WorkerCmd::Delete { req, topic } => self.answer_and_refresh(move |c| async move {
                let result = c.delete(&topic).await;
                WorkerEvent::Deleted { req, result }
            }),
            WorkerCmd::DeleteMany { req, topics } => self.delete_many(req, topics),
            WorkerCmd::ReadBefore {
                req,
                topic,
                before_ns,
                floor_ns,
                limit,
            } => self.read_before(req, topic, before_ns, floor_ns, limit),
        }
    }

    /// Cancels every running task (the worker stops).
    pub(super) fn cancel_all(&self) {
        for t in self.subs.values() {
            t.cancel();
        }
    }

    /// A tail of one topic, or of several merged by time, in its own task.
    fn subscribe(&mut self, id: SubId, topics: Vec<TopicName>, start: Start) {
        self.subs.retain(|_, t| !t.is_cancelled());
        let token = self.stop.child_token();
        self.subs.insert(id, token.clone());
        let (c, tx) = (self.client.clone(), self.tx.clone());
        tokio::spawn(tail(c, id, topics, start, token, tx));
    }

    /// A search of a topic's history; one at a time: a new one cancels the others.
    fn find(&mut self, id: ReqId, topic: TopicName, query: GrepQuery) {
        if let Some(t) = self.find.replace(id).and_then(|old| self.subs.remove(&old)) {
            t.cancel();
        }
        let token = self.stop.child_token();
        self.subs.insert(id, token.clone());
        let (c, tx) = (self.client.clone(), self.tx.clone());
        tokio::spawn(super::super::find_task::run(c, id, topic, query, token, tx));
    }

    /// The histogram of one topic, or the sum of several topics'.
    fn histogram(
        &self,
        id: ReqId,
        topics: Vec<TopicName>,
        start_ns: i64,
        stop_ns: i64,
        buckets: u32,
    ) {
        let req = HistogramRequest {
            start_ns: Some(start_ns),
            stop_ns: Some(stop_ns),
            buckets: buckets.max(1),
        };
        self.answer(move |c| async move {
            let result = union_histogram(&c, &topics, req).await;
            WorkerEvent::Histogram { id, result }
        });
    }

    fn publish(&self, req: ReqId, topic: TopicName, messages: Vec<OutMessage>) {
        self.answer(move |c| async move {
            let result = c.publish_schematized(&topic, messages).await;
            WorkerEvent::Published { req, result }
        });
    }

    /// Deletes the topics one after the other; says which went and which did not.
    fn delete_many(&self, req: ReqId, topics: Vec<TopicName>) {
        self.answer_and_refresh(move |c| async move {
            let (mut deleted, mut failed) = (Vec::new(), Vec::new());
            for t in topics {
                match c.delete(&t).await {
                    Ok(_) => deleted.push(t),
                    Err(e) => failed.push((t, e.to_string())),
                }
            }
            WorkerEvent::DeletedMany {
                req,
                deleted,
                failed,
            }
        });
    }

    /// A page of records before `before_ns`; dropped unanswered when the worker stops.
    fn read_before(
        &self,
        req: ReqId,
        topic: TopicName,
        before_ns: i64,
        floor_ns: i64,
        limit: usize,
    ) {
        let (c, tx, stop) = (self.client.clone(), self.tx.clone(), self.stop.clone());
        tokio::spawn(async move {
            let read = super::super::pages::read_before(&c, &topic, before_ns, floor_ns, limit);
            let result = tokio::select! {
                r = read => r.map_err(|e| e.to_string()),
                _ = stop.cancelled() => return,
            };
            send(&tx, &stop, WorkerEvent::Earlier { req, result }).await;
        });
    }

    /// Answers a request in a task of its own: `work`'s event goes to the UI.
    fn answer<F>(&self, work: impl FnOnce(Client) -> F + Send + 'static)
    where
        F: Future<Output = WorkerEvent> + Send + 'static,
    {
        self.spawn_answer(work, None);
    }

    /// [`Server::answer`], then the topic list refreshed (after a delete).
    fn answer_and_refresh<F>(&self, work: impl FnOnce(Client) -> F + Send + 'static)
    where
        F: Future<Output = WorkerEvent> + Send + 'static,
    {
        self.spawn_answer(work, Some(self.refresh.clone()));
    }

    fn spawn_answer<F>(
        &self,
        work: impl FnOnce(Client) -> F + Send + 'static,
        refresh: Option<Arc<Notify>>,
    ) where
        F: Future<Output = WorkerEvent> + Send + 'static,
    {
        let (c, tx, stop) = (self.client.clone(), self.tx.clone(), self.stop.clone());
        tokio::spawn(async move {
            let ev = work(c).await;
            send(&tx, &stop, ev).await;
            if let Some(r) = refresh {
                r.notify_one();
            }
        });
    }
}
