//! Loopback peers that answer a ClientHello slowly, never, with a hang-up or in another
//! protocol: what `exchange` makes of each.

use std::time::Duration;

use netcheck_probe::tls::{ClientHello, FlightEnd, HelloError, ServerFlight, Until, exchange};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::fixture;

/// Reads one whole TLS record, the ClientHello, and returns it.
async fn read_hello(peer: &mut TcpStream) -> Vec<u8> {
    let mut header = [0u8; 5];
    peer.read_exact(&mut header).await.unwrap();
    let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
    peer.read_exact(&mut body).await.unwrap();
    [&header[..], &body].concat()
}

/// A peer on 127.0.0.1:0 that handles one connection with `serve`, and the client's result.
async fn against<F, Fut>(deadline: Duration, serve: F) -> Result<ServerFlight, HelloError>
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (peer, _) = listener.accept().await.unwrap();
        serve(peer).await;
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let hello = ClientHello::certificate_grab(Some("fixture.netcheck.test"));
    let result = exchange(
        &mut tcp,
        &hello,
        Until::ServerHelloDone,
        Instant::now() + deadline,
    )
    .await;
    server.abort();
    result
}

#[tokio::test]
async fn a_flight_dribbled_a_few_bytes_at_a_time_is_read_whole() {
    let result = against(Duration::from_secs(10), |mut peer| async move {
        let hello = read_hello(&mut peer).await;
        let (_, record) = tls_parser::parse_tls_plaintext(&hello).expect("a ClientHello record");
        assert_eq!(record.msg.len(), 1);
        peer.set_nodelay(true).unwrap();
        for chunk in fixture("openssl-3.0-tls12-ecdhe-ecdsa.flight.hex").chunks(7) {
            peer.write_all(chunk).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Hold the connection open: the client must stop at ServerHelloDone by itself.
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let flight = result.unwrap();
    assert_eq!(flight.end, FlightEnd::ServerHelloDone);
    assert_eq!(
        flight.certificates,
        [fixture("openssl-3.0-tls12-ecdhe-ecdsa.cert.hex")]
    );
}

#[tokio::test]
async fn a_silent_server_times_out_at_the_deadline() {
    let started = Instant::now();
    let result = against(Duration::from_millis(300), |mut peer| async move {
        read_hello(&mut peer).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    assert!(
        matches!(result, Err(HelloError::Timeout { received: 0 })),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_server_that_hangs_up_after_the_hello_is_closed() {
    let result = against(Duration::from_secs(10), |mut peer| async move {
        read_hello(&mut peer).await;
        peer.shutdown().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    assert!(
        matches!(result, Err(HelloError::Closed { received: 0 })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_server_that_resets_the_connection_is_a_reset() {
    let result = against(Duration::from_secs(10), |mut peer| async move {
        read_hello(&mut peer).await;
        // SO_LINGER 0: close sends RST instead of FIN.
        socket2::SockRef::from(&peer)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(peer);
    })
    .await;
    assert!(
        matches!(result, Err(HelloError::Reset { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn another_protocol_on_the_port_is_not_tls() {
    let result = against(Duration::from_secs(10), |mut peer| async move {
        peer.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let Err(e) = result else { panic!("{result:?}") };
    assert!(matches!(e, HelloError::NotTls { .. }), "{e:?}");
    assert!(e.to_string().contains("SSH-2.0"), "{e}");
}
