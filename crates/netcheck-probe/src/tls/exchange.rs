//! Sending a ClientHello on a stream the caller opened and reading the server's first flight
//! back, every await under the caller's deadline. Which address to dial, and what to do with
//! the connection afterwards (netcheck drops it: it never completes these handshakes), are the
//! caller's. The bytes are framed and read by `decoder.rs`.

use std::io::ErrorKind;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

use super::client_hello::ClientHello;
use super::decoder::FlightDecoder;
use super::error::HelloError;
use super::flight::{ServerFlight, Until};

/// Sends `hello` and reads the answer until `until`, the flight's end, an error or `deadline`.
pub async fn exchange<S>(
    stream: &mut S,
    hello: &ClientHello,
    until: Until,
    deadline: Instant,
) -> Result<ServerFlight, HelloError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let bytes = hello.encode()?;
    let sent = async {
        stream.write_all(&bytes).await?;
        stream.flush().await
    };
    match timeout_at(deadline, sent).await {
        Err(_) => return Err(HelloError::Timeout { received: 0 }),
        Ok(Err(e)) => return Err(io_error(e, 0)),
        Ok(Ok(())) => {}
    }
    let mut decoder = FlightDecoder::new(until);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let received = decoder.received();
        let n = match timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return Err(HelloError::Timeout { received }),
            Ok(Err(e)) => return Err(io_error(e, received)),
            Ok(Ok(n)) => n,
        };
        if n == 0 || decoder.feed(&buf[..n])? {
            return decoder.finish();
        }
    }
}

/// A reset or a broken pipe is the server hanging up, often its way of refusing a hello.
fn io_error(e: std::io::Error, received: usize) -> HelloError {
    match e.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            HelloError::Reset { received }
        }
        ErrorKind::UnexpectedEof => HelloError::Closed { received },
        _ => HelloError::Io(e),
    }
}
