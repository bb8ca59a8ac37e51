//! A connection's outbound queue: bounded in bytes, drained in batches by the connection's
//! writer task.
//!
//! The hub (the single task that owns the presence core) must never wait for a socket: it
//! pushes ready-encoded frames here and moves on. A frame pushed to many outboxes is the same
//! [`Bytes`] each time, so a join fanned out to ten thousand watchers is encoded once and
//! costs one reference-count increment per watcher. If a client reads too slowly and its queue
//! passes the byte limit, the queue is dropped and the connection is closed: one slow reader
//! never slows anyone else, and its memory stays bounded.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::Notify;

/// Why a connection is being closed by the server; decides the WebSocket close frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed, or the socket failed.
    ClientGone,
    /// The server is shutting down.
    Shutdown,
    /// The client did not read fast enough and its outbound queue overflowed.
    SlowConsumer,
    /// Nothing was received for twice the heartbeat interval.
    HeartbeatTimeout,
    /// The client did not log in within the unauthenticated timeout.
    AuthenticationTimeout,
    /// Too many failed logins.
    TooManyAuthAttempts,
    /// The login data was not a JSON object.
    InvalidAuthData,
    /// A text frame on the binary endpoint.
    TextFrame,
    /// A message above the size limit.
    MessageTooBig,
}

impl CloseReason {
    /// The WebSocket close code and reason text sent to the client.
    pub fn close_frame(self) -> (u16, &'static str) {
        match self {
            CloseReason::ClientGone => (1000, ""),
            CloseReason::Shutdown => (1001, "server shutting down"),
            CloseReason::SlowConsumer => (1008, "too slow: outbound queue overflow"),
            CloseReason::HeartbeatTimeout => (1008, "heartbeat timeout"),
            CloseReason::AuthenticationTimeout => (1008, "authentication timeout"),
            CloseReason::TooManyAuthAttempts => (1008, "too many authentication attempts"),
            CloseReason::InvalidAuthData => (1007, "authentication data is not a JSON object"),
            CloseReason::TextFrame => (1003, "binary frames only"),
            CloseReason::MessageTooBig => (1009, "message too big"),
        }
    }
}

/// The frame would take the queue past its byte limit; the outbox is now closing.
#[derive(Debug, PartialEq, Eq)]
pub struct Overflow;

#[derive(Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    bytes: usize,
    closing: Option<CloseReason>,
}

/// One connection's outbound queue.
pub struct Outbox {
    limit: usize,
    queue: Mutex<Queue>,
    /// Wakes the writer: a frame arrived or the outbox is closing.
    writer_wake: Notify,
    /// Set once closing starts; read by the reader side without taking the lock.
    closing: AtomicBool,
    /// Wakes the reader side when closing starts.
    closing_wake: Notify,
}

impl Outbox {
    /// An empty queue that holds at most `limit` bytes of frames.
    pub fn new(limit: usize) -> Self {
        Outbox {
            limit,
            queue: Mutex::new(Queue::default()),
            writer_wake: Notify::new(),
            closing: AtomicBool::new(false),
            closing_wake: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A panic while holding this lock cannot leave the queue inconsistent (every critical
        // section is a few field updates), so a poisoned lock is still usable.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a frame. Frames pushed after closing started are dropped silently. A frame that
    /// would pass the byte limit drops the whole queue and starts closing the connection as a
    /// slow consumer.
    pub fn push(&self, frame: Bytes) -> Result<(), Overflow> {
        let mut queue = self.lock();
        if queue.closing.is_some() {
            return Ok(());
        }
        if queue.bytes + frame.len() > self.limit {
            queue.frames = VecDeque::new();
            queue.bytes = 0;
            queue.closing = Some(CloseReason::SlowConsumer);
            drop(queue);
            self.signal_closing();
            return Err(Overflow);
        }
        let was_empty = queue.frames.is_empty();
        queue.bytes += frame.len();
        queue.frames.push_back(frame);
        drop(queue);
        if was_empty {
            self.writer_wake.notify_one();
        }
        Ok(())
    }

    /// Starts closing: frames already queued are still written, then the close frame.
    /// The first reason given wins.
    pub fn close(&self, reason: CloseReason) {
        let mut queue = self.lock();
        if queue.closing.is_none() {
            queue.closing = Some(reason);
        }
        drop(queue);
        self.signal_closing();
    }

    fn signal_closing(&self) {
        self.closing.store(true, Ordering::Release);
        self.closing_wake.notify_waiters();
        self.writer_wake.notify_one();
    }

    /// Why the outbox is closing, if it is.
    pub fn closing_reason(&self) -> Option<CloseReason> {
        self.lock().closing
    }

    /// Completes once closing has started.
    pub async fn closed(&self) {
        loop {
            let notified = self.closing_wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.closing.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    /// Waits until there is something to write, then moves every queued frame into `batch`.
    /// Returns the close reason once closing has started (after the last frames are taken).
    pub async fn next_batch(&self, batch: &mut Vec<Bytes>) -> Option<CloseReason> {
        loop {
            {
                let mut queue = self.lock();
                if !queue.frames.is_empty() || queue.closing.is_some() {
                    batch.extend(queue.frames.drain(..));
                    queue.bytes = 0;
                    return queue.closing;
                }
            }
            self.writer_wake.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_come_out_in_order_as_one_batch() {
        let outbox = Outbox::new(100);
        for frame in [&b"one"[..], b"two", b"three"] {
            outbox.push(Bytes::from_static(frame)).expect("fits");
        }
        let mut batch = Vec::new();
        assert_eq!(outbox.next_batch(&mut batch).await, None);
        assert_eq!(batch, vec![&b"one"[..], b"two", b"three"]);
    }

    #[tokio::test]
    async fn overflow_drops_the_queue_and_closes_as_slow_consumer() {
        let outbox = Outbox::new(10);
        outbox.push(Bytes::from_static(b"123456")).expect("fits");
        assert_eq!(outbox.push(Bytes::from_static(b"123456")), Err(Overflow));
        assert_eq!(
            outbox.push(Bytes::from_static(b"1")),
            Ok(()),
            "dropped silently"
        );
        outbox.closed().await;
        let mut batch = Vec::new();
        assert_eq!(
            outbox.next_batch(&mut batch).await,
            Some(CloseReason::SlowConsumer)
        );
        assert!(batch.is_empty());
    }

    #[tokio::test]
    async fn close_keeps_queued_frames_and_first_reason_wins() {
        let outbox = Outbox::new(100);
        outbox
            .push(Bytes::from_static(b"last words"))
            .expect("fits");
        outbox.close(CloseReason::TooManyAuthAttempts);
        outbox.close(CloseReason::Shutdown);
        let mut batch = Vec::new();
        assert_eq!(
            outbox.next_batch(&mut batch).await,
            Some(CloseReason::TooManyAuthAttempts)
        );
        assert_eq!(batch, vec![&b"last words"[..]]);
    }

    #[tokio::test]
    async fn the_writer_wakes_for_a_frame_pushed_while_it_waits() {
        let outbox = std::sync::Arc::new(Outbox::new(100));
        let writer = {
            let outbox = outbox.clone();
            tokio::spawn(async move {
                let mut batch = Vec::new();
                outbox.next_batch(&mut batch).await;
                batch
            })
        };
        tokio::task::yield_now().await;
        outbox.push(Bytes::from_static(b"hello")).expect("fits");
        assert_eq!(writer.await.expect("writer"), vec![&b"hello"[..]]);
    }
}
