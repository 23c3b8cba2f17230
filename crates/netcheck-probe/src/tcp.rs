//! TCP SYN probes for raw sockets: building a SYN with its checksum, reading the SYN-ACK or RST
//! that answers it, and reading the TCP header an ICMP error quotes. Pure functions over bytes;
//! what arrives is untrusted, so every read is bounds-checked (fuzzed with `icmp.rs`).

use std::net::IpAddr;

use crate::icmp::{checksum, kind, strip_ipv4_header};

pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const ACK: u8 = 0x10;
const PROTO_TCP: u8 = 6;

/// A 20-byte TCP SYN from `src`:`sport` to `dst`:`dport` with sequence number `seq`, its
/// checksum computed over the pseudo-header (RFC 9293 §3.1; RFC 8200 §8.1 for IPv6).
pub fn syn(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, seq: u32) -> Vec<u8> {
    let mut h = vec![0u8; 20];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[12] = 5 << 4; // data offset: five 32-bit words
    h[13] = SYN;
    h[14..16].copy_from_slice(&65535u16.to_be_bytes());
    let mut pseudo = Vec::with_capacity(60);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo.extend(s.octets());
            pseudo.extend(d.octets());
            pseudo.extend([0, PROTO_TCP, 0, 20]);
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V6(x) => x.octets(),
                IpAddr::V4(x) => x.to_ipv6_mapped().octets(),
            };
            pseudo.extend(v6(s));
            pseudo.extend(v6(d));
            pseudo.extend(20u32.to_be_bytes());
            pseudo.extend([0, 0, 0, PROTO_TCP]);
        }
    }
    pseudo.extend(&h);
    let sum = checksum(&pseudo);
    h[16..18].copy_from_slice(&sum.to_be_bytes());
    h
}

/// The fields of a TCP header netcheck matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
}

fn segment(b: &[u8]) -> Option<Segment> {
    Some(Segment {
        sport: u16::from_be_bytes([*b.first()?, *b.get(1)?]),
        dport: u16::from_be_bytes([*b.get(2)?, *b.get(3)?]),
        seq: u32::from_be_bytes(b.get(4..8)?.try_into().ok()?),
        ack: b
            .get(8..12)
            .and_then(|a| a.try_into().ok())
            .map(u32::from_be_bytes)
            .unwrap_or(0),
        flags: b.get(13).copied().unwrap_or(0),
    })
}

/// A segment as a raw TCP socket delivers it (IPv4 with its IP header, IPv6 without).
pub fn received(v6: bool, bytes: &[u8]) -> Option<Segment> {
    let tcp = if v6 { bytes } else { strip_ipv4_header(bytes)? };
    (tcp.len() >= 20).then(|| segment(tcp))?
}

/// The TCP header an ICMP time-exceeded or unreachable quotes (only its first 8 bytes are
/// guaranteed: ports and sequence number), with the error's type and code.
pub fn quoted(v6: bool, icmp: &[u8]) -> Option<(u8, u8, Segment)> {
    let (t, code) = (*icmp.first()?, *icmp.get(1)?);
    let is_error = if v6 {
        t == kind::V6_TIME_EXCEEDED || t == kind::V6_DEST_UNREACHABLE
    } else {
        t == kind::V4_TIME_EXCEEDED || t == kind::V4_DEST_UNREACHABLE
    };
    if !is_error {
        return None;
    }
    let quote = icmp.get(8..)?;
    let tcp = if v6 {
        (quote.first()? >> 4 == 6 && *quote.get(6)? == PROTO_TCP).then_some(())?;
        quote.get(40..)?
    } else {
        (*quote.get(9)? == PROTO_TCP).then_some(())?;
        strip_ipv4_header(quote)?
    };
    (tcp.len() >= 8).then(|| segment(tcp).map(|s| (t, code, s)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syn_checksums_to_zero_with_its_pseudo_header() {
        let (s, d): (IpAddr, IpAddr) =
            ("198.18.1.2".parse().unwrap(), "198.18.4.2".parse().unwrap());
        let h = syn(s, d, 40000, 443, 0xdead_beef);
        let mut pseudo = vec![198, 18, 1, 2, 198, 18, 4, 2, 0, 6, 0, 20];
        pseudo.extend(&h);
        assert_eq!(checksum(&pseudo), 0);
        let seg = received(true, &h).unwrap();
        assert_eq!(
            (seg.sport, seg.dport, seg.seq, seg.flags),
            (40000, 443, 0xdead_beef, SYN)
        );
    }

    #[test]
    fn a_quoted_syn_is_read_from_a_time_exceeded() {
        let h = syn(
            "198.18.1.2".parse().unwrap(),
            "198.18.4.2".parse().unwrap(),
            40000,
            443,
            77,
        );
        let mut quote = vec![
            0x45, 0, 0, 40, 0, 0, 0, 0, 1, 6, 0, 0, 198, 18, 1, 2, 198, 18, 4, 2,
        ];
        quote.extend(&h[..8]);
        let mut error = vec![kind::V4_TIME_EXCEEDED, 0, 0, 0, 0, 0, 0, 0];
        error.extend(&quote);
        let (t, _, seg) = quoted(false, &error).unwrap();
        assert_eq!(
            (t, seg.sport, seg.dport, seg.seq),
            (kind::V4_TIME_EXCEEDED, 40000, 443, 77)
        );
        assert_eq!(quoted(false, &error[..20]), None, "a cut quote is refused");
        assert_eq!(received(false, &[0x45; 10]), None);
    }
}
