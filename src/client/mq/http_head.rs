//! Answers of the filer's HTTP port made parseable: weed 4.48's filer copies a file's
//! extended attributes into the answer's headers byte for byte, and the broker stores
//! `offset_min`, `offset_max` and `buffer_start` on its log files as 8 raw big-endian bytes
//! (`weed/mq/broker/broker_write.go`). Those headers hold NULs and other control bytes,
//! which hyper refuses ("invalid HTTP header parsed"; `ignore_invalid_headers_in_responses`
//! does not help: httparse stops at a NUL). Go turns CR and LF in header values into
//! spaces, so such a header stays on its line; [`CleanHeads`] replaces the other control
//! bytes of an answer's head by spaces before hyper reads it (docs/tls.md).
//!
//! The head of an answer is what comes after a request is written, up to its blank line:
//! hyper's HTTP/1 client sends a request only once the previous answer has been read
//! whole, so every write starts a new head.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Where the reader is in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Inside the head, not right after a line feed.
    Head,
    /// Right after a line feed of the head.
    HeadLf,
    /// After a line feed and a carriage return of the head.
    HeadLfCr,
    /// The body (or nothing asked yet): bytes pass untouched.
    Body,
}

/// A connection whose answers' heads are cleaned of control bytes (see the module).
#[derive(Debug)]
pub(super) struct CleanHeads<T> {
    inner: T,
    state: State,
}

impl<T> CleanHeads<T> {
    pub(super) fn new(inner: T) -> Self {
        CleanHeads {
            inner,
            state: State::Body,
        }
    }

    /// Cleans `bytes` read from the connection in place, up to the end of the head.
    fn clean(&mut self, bytes: &mut [u8]) {
        for b in bytes {
            self.state = match (self.state, *b) {
                (State::Body, _) => return,
                (State::HeadLf, b'\n') | (State::HeadLfCr, b'\n') => State::Body,
                (State::HeadLf, b'\r') => State::HeadLfCr,
                (_, b'\n') => State::HeadLf,
                (_, c) => {
                    if (c < 0x20 && c != b'\t' && c != b'\r') || c == 0x7f {
                        *b = b' ';
                    }
                    State::Head
                }
            };
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CleanHeads<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && self.state != State::Body {
            let this = &mut *self;
            this.clean(&mut buf.filled_mut()[before..]);
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CleanHeads<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.state = State::Head;
        }
        res
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.state = State::Head;
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What weed 4.48's filer answered for a log file with offset attributes (the shape
    /// of it: `Offset_max` and `Offset_min` as raw big-endian u64).
    fn answer(body: &str) -> Vec<u8> {
        let mut a = b"HTTP/1.1 200 OK\r\nOffset_max: \x00\x00\x00\x00\x00\x00\x00\x1f\r\n\
                      Offset_min: \x00\x00\x00\x00\x00\x00\x00\x0b\x7f\r\n\
                      Server: SeaweedFS 8000GB 4.48\r\n"
            .to_vec();
        a.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        a
    }

    #[test]
    fn control_bytes_of_heads_become_spaces_bodies_stay() {
        let mut c = CleanHeads::new(());
        c.state = State::Head;
        // The body holds control bytes too: untouched.
        let mut a = answer("a\x00b\r\n\r\n\x01");
        let head_end = a.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        // Fed in pieces, split inside the blank line.
        let (x, y) = a.split_at_mut(head_end - 2);
        c.clean(x);
        c.clean(y);
        assert_eq!(c.state, State::Body);
        assert_eq!(&a[head_end..], b"a\x00b\r\n\r\n\x01");
        assert!(
            a[..head_end]
                .iter()
                .all(|&b| b >= 0x20 && b != 0x7f || b == b'\r' || b == b'\n')
        );
    }

    /// Two GETs on one connection to a server giving [`answer`]s: the bodies, or hyper's
    /// error.
    async fn two_gets<T>(
        wrap: impl FnOnce(tokio::io::DuplexStream) -> T,
    ) -> Result<Vec<String>, hyper::Error>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (client, mut server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            for body in ["first", "second"] {
                let mut req = [0u8; 1024];
                let n = server.read(&mut req).await.unwrap();
                if n == 0 {
                    return;
                }
                assert!(req[..n].starts_with(b"GET /"));
                server.write_all(&answer(body)).await.unwrap();
            }
        });
        let io = hyper_util::rt::TokioIo::new(wrap(client));
        let (mut s, conn) = hyper::client::conn::http1::handshake(io).await?;
        tokio::spawn(conn);
        let mut got = Vec::new();
        for _ in 0..2 {
            s.ready().await?;
            let req = http::Request::get("/f")
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .unwrap();
            let resp = s.send_request(req).await?;
            assert_eq!(resp.headers()["server"], "SeaweedFS 8000GB 4.48");
            let body = http_body_util::BodyExt::collect(resp.into_body()).await?;
            got.push(String::from_utf8(body.to_bytes().to_vec()).unwrap());
        }
        Ok(got)
    }

    #[tokio::test]
    async fn hyper_reads_such_answers_only_cleaned() {
        let e = two_gets(|c| c).await.unwrap_err();
        assert!(e.is_parse(), "{e}");
        assert_eq!(
            two_gets(CleanHeads::new).await.unwrap(),
            ["first", "second"]
        );
    }
}
