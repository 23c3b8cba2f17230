//! Why a hello got no usable first flight, in the words of the handshake: the server refused
//! (an alert), went quiet, hung up, spoke something else, sent too much or sent nonsense; or
//! netcheck's own hello could not be built.

use super::alert::Alert;

#[derive(Debug, thiserror::Error)]
pub enum HelloError {
    #[error("no answer before the deadline ({received} bytes received)")]
    Timeout { received: usize },
    #[error(
        "the server closed the connection after {received} bytes, before its first flight ended"
    )]
    Closed { received: usize },
    #[error("the server reset the connection after {received} bytes")]
    Reset { received: usize },
    /// The server refused before choosing anything: no ServerHello came first.
    #[error("the server refused the handshake: {0}")]
    Alert(Alert),
    /// The first bytes are not a TLS record: another protocol answered on that port.
    #[error("the server does not speak TLS: it began with \"{}\"", .start.escape_ascii())]
    NotTls { start: Vec<u8> },
    #[error("the server's first flight is longer than {limit} bytes")]
    TooLarge { limit: usize },
    /// Bytes that claim to be TLS but break its framing or a message's layout.
    #[error("malformed {what} from the server")]
    Malformed { what: &'static str },
    /// A well-formed message that has no place in a server's first flight.
    #[error("the server sent {what} where its first flight cannot have it")]
    Unexpected { what: String },
    #[error("the ClientHello does not fit in one record")]
    HelloTooLarge,
    #[error("the ClientHello could not be serialised: {0}")]
    Encode(String),
    #[error("could not exchange hellos: {0}")]
    Io(#[from] std::io::Error),
}
