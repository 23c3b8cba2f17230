//! ICMP echo messages and the errors that quote them: building and reading the bytes.
//! Pure functions over byte slices; what arrives from the network is untrusted, so every read is
//! bounds-checked and a fuzz target feeds this module (fuzz/fuzz_targets/icmp.rs).

/// RFC 792 / RFC 4443 message types netcheck reads.
pub mod kind {
    pub const V4_ECHO_REPLY: u8 = 0;
    pub const V4_DEST_UNREACHABLE: u8 = 3;
    pub const V4_ECHO_REQUEST: u8 = 8;
    pub const V4_TIME_EXCEEDED: u8 = 11;
    pub const V6_DEST_UNREACHABLE: u8 = 1;
    pub const V6_TIME_EXCEEDED: u8 = 3;
    pub const V6_ECHO_REQUEST: u8 = 128;
    pub const V6_ECHO_REPLY: u8 = 129;
}

/// Bytes after the 8-byte ICMP header in netcheck's echo requests: a marker, then a sequence
/// word and its complement, then padding to the classic 56-byte payload.
pub const ECHO_PAYLOAD: usize = 56;
const MARKER: &[u8; 4] = b"nchk";

/// RFC 1071 Internet checksum.
pub fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in bytes.chunks(2) {
        let word = match chunk {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request. `seq` is also written into the payload beside its one's complement, so the
/// ICMP checksum is the same for every sequence number: flows hashed on it stay on one path
/// (the Paris traceroute idea, RFC-less but widely used). The checksum is filled in for raw
/// sockets; datagram sockets have the kernel recompute it (and set the identifier).
pub fn echo_request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![0u8; 8 + ECHO_PAYLOAD];
    p[0] = if v6 {
        kind::V6_ECHO_REQUEST
    } else {
        kind::V4_ECHO_REQUEST
    };
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    p[8..12].copy_from_slice(MARKER);
    p[12..14].copy_from_slice(&(!seq).to_be_bytes());
    for (i, b) in p[14..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if !v6 {
        // For IPv6 the kernel always computes the checksum (it covers a pseudo-header).
        let sum = checksum(&p);
        p[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    p
}

/// An ICMP message as received, without its IP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub kind: u8,
    pub code: u8,
    pub rest: &'a [u8],
}

pub fn parse(bytes: &[u8]) -> Option<Message<'_>> {
    (bytes.len() >= 8).then(|| Message {
        kind: bytes[0],
        code: bytes[1],
        rest: &bytes[4..],
    })
}

/// The identifier and sequence of an echo reply that netcheck sent (marker checked).
pub fn echo_reply(v6: bool, bytes: &[u8]) -> Option<(u16, u16)> {
    let m = parse(bytes)?;
    let reply = if v6 {
        kind::V6_ECHO_REPLY
    } else {
        kind::V4_ECHO_REPLY
    };
    if m.kind != reply || bytes.len() < 12 || &bytes[8..12] != MARKER {
        return None;
    }
    Some((
        u16::from_be_bytes([bytes[4], bytes[5]]),
        u16::from_be_bytes([bytes[6], bytes[7]]),
    ))
}

/// An ICMP error (time exceeded or destination unreachable) that quotes one of netcheck's echo
/// requests: the error's type and code, and the quoted request's identifier and sequence.
/// RFC 792: an IPv4 error quotes the IP header and the first 8 bytes of the datagram; RFC 4443
/// §2.4(c): an ICMPv6 error quotes as much of the packet as fits, starting with its IPv6 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedEcho {
    pub kind: u8,
    pub code: u8,
    pub id: u16,
    pub seq: u16,
}

pub fn quoted_echo(v6: bool, bytes: &[u8]) -> Option<QuotedEcho> {
    let m = parse(bytes)?;
    let is_error = if v6 {
        m.kind == kind::V6_TIME_EXCEEDED || m.kind == kind::V6_DEST_UNREACHABLE
    } else {
        m.kind == kind::V4_TIME_EXCEEDED || m.kind == kind::V4_DEST_UNREACHABLE
    };
    if !is_error {
        return None;
    }
    // After type, code, checksum: 4 unused bytes, then the quoted packet.
    let quoted = bytes.get(8..)?;
    let inner = if v6 {
        const IPV6_HEADER: usize = 40;
        // Next header must be ICMPv6 (58) with no extension headers in between.
        (quoted.first()? >> 4 == 6 && *quoted.get(6)? == 58).then_some(())?;
        quoted.get(IPV6_HEADER..)?
    } else {
        let inner = strip_ipv4_header(quoted)?;
        (*quoted.get(9)? == 1).then_some(())?; // protocol ICMP
        inner
    };
    let request = if v6 {
        kind::V6_ECHO_REQUEST
    } else {
        kind::V4_ECHO_REQUEST
    };
    if inner.len() < 8 || inner[0] != request {
        return None;
    }
    Some(QuotedEcho {
        kind: m.kind,
        code: m.code,
        id: u16::from_be_bytes([inner[4], inner[5]]),
        seq: u16::from_be_bytes([inner[6], inner[7]]),
    })
}

/// Skips an IPv4 header (raw IPv4 sockets deliver it); `None` when it is malformed.
pub fn strip_ipv4_header(packet: &[u8]) -> Option<&[u8]> {
    let first = *packet.first()?;
    let ihl = usize::from(first & 0x0f) * 4;
    (first >> 4 == 4 && ihl >= 20 && packet.len() >= ihl).then(|| &packet[ihl..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_request_verifies_to_zero() {
        let p = echo_request(false, 0x1234, 7);
        assert_eq!(checksum(&p), 0);
    }

    #[test]
    fn the_checksum_does_not_depend_on_the_sequence() {
        let a = echo_request(false, 1, 1);
        let b = echo_request(false, 1, 500);
        assert_eq!(a[2..4], b[2..4]);
    }

    #[test]
    fn replies_are_recognised_by_marker_and_type() {
        let mut p = echo_request(false, 9, 42);
        assert_eq!(echo_reply(false, &p), None, "a request is not a reply");
        p[0] = kind::V4_ECHO_REPLY;
        assert_eq!(echo_reply(false, &p), Some((9, 42)));
        p[9] = b'x';
        assert_eq!(echo_reply(false, &p), None);
        assert_eq!(echo_reply(true, &[129, 0, 0]), None);
    }

    #[test]
    fn time_exceeded_quoting_our_request_is_read_back() {
        // An IPv4 time exceeded: ICMP header, unused word, quoted IP header (protocol 1), quoted echo.
        let mut ip = vec![
            0x45, 0, 0, 84, 0, 0, 0, 0, 1, 1, 0, 0, 198, 18, 1, 2, 198, 18, 4, 2,
        ];
        ip.extend(&echo_request(false, 0x5151, 0x0302)[..8]);
        let mut error = vec![kind::V4_TIME_EXCEEDED, 0, 0, 0, 0, 0, 0, 0];
        error.extend(&ip);
        let q = quoted_echo(false, &error).unwrap();
        assert_eq!(
            (q.kind, q.id, q.seq),
            (kind::V4_TIME_EXCEEDED, 0x5151, 0x0302)
        );
        // The same bytes quoting UDP (protocol 17) are not ours.
        error[8 + 9] = 17;
        assert_eq!(quoted_echo(false, &error), None);
        // IPv6: a 40-byte header with next header 58, then the echo request.
        let mut ip6 = vec![0x60, 0, 0, 0, 0, 64, 58, 1];
        ip6.extend([0u8; 32]);
        ip6.extend(&echo_request(true, 7, 9)[..8]);
        let mut error6 = vec![kind::V6_TIME_EXCEEDED, 0, 0, 0, 0, 0, 0, 0];
        error6.extend(&ip6);
        assert_eq!(
            quoted_echo(true, &error6).map(|q| (q.id, q.seq)),
            Some((7, 9))
        );
        assert_eq!(
            quoted_echo(true, &error6[..30]),
            None,
            "a cut quote is refused"
        );
    }

    #[test]
    fn ipv4_headers_are_skipped_and_garbage_refused() {
        let mut packet = vec![0x45u8; 20];
        packet.extend([0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(strip_ipv4_header(&packet).map(<[u8]>::len), Some(8));
        assert_eq!(strip_ipv4_header(&[0x4f, 0, 0]), None);
        assert_eq!(strip_ipv4_header(&[0x65; 40]), None);
        assert_eq!(strip_ipv4_header(&[]), None);
    }
}
