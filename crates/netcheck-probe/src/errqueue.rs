//! The socket error queue (IP_RECVERR / IPV6_RECVERR, ip(7)): how an unprivileged socket learns
//! that a router said "time exceeded" or a host said "port unreachable" about a packet it sent.
//! tracepath works this way; so does netcheck's unprivileged traceroute.
//!
//! No crate reads the error queue, so the libc calls are made here, each commented. This is the
//! only module of the crate that allows `unsafe`.

#![allow(unsafe_code)]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, RawFd};

/// Where a queued error came from (`ee_origin`).
pub const ORIGIN_LOCAL: u8 = libc::SO_EE_ORIGIN_LOCAL;
pub const ORIGIN_ICMP: u8 = libc::SO_EE_ORIGIN_ICMP;
pub const ORIGIN_ICMP6: u8 = libc::SO_EE_ORIGIN_ICMP6;

/// One error taken from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedError {
    pub errno: u32,
    pub origin: u8,
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// The host that sent the ICMP error (SO_EE_OFFENDER).
    pub offender: Option<IpAddr>,
    /// Bytes of the original packet's payload copied into the caller's buffer.
    pub payload_len: usize,
}

/// Asks the kernel to queue ICMP errors about this socket's packets.
pub fn enable(socket: &impl AsRawFd, v6: bool) -> io::Result<()> {
    let (level, name) = if v6 {
        (libc::SOL_IPV6, libc::IPV6_RECVERR)
    } else {
        (libc::SOL_IP, libc::IP_RECVERR)
    };
    let one: libc::c_int = 1;
    // SAFETY: a c_int option value that outlives the call, with its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Takes one error from the queue without blocking; `Ok(None)` when the queue is empty.
pub fn take(fd: RawFd, payload: &mut [u8]) -> io::Result<Option<QueuedError>> {
    let mut control = [0u64; 64]; // 512 bytes, 8-aligned as cmsghdr requires
    let mut iov = libc::iovec {
        iov_base: payload.as_mut_ptr().cast(),
        iov_len: payload.len(),
    };
    // SAFETY: msghdr is plain old data; zeroed is a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: every pointer in msg points at live buffers of the lengths given.
    let n = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::WouldBlock {
            Ok(None)
        } else {
            Err(e)
        };
    }
    let payload_len = usize::try_from(n).unwrap_or(0).min(payload.len());
    // SAFETY: CMSG_* walk the control buffer that recvmsg filled, within msg_controllen.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    while !cmsg.is_null() {
        // SAFETY: cmsg is non-null and points inside the control buffer.
        let header = unsafe { std::ptr::read_unaligned(cmsg) };
        let is_recverr = (header.cmsg_level == libc::SOL_IP
            && header.cmsg_type == libc::IP_RECVERR)
            || (header.cmsg_level == libc::SOL_IPV6 && header.cmsg_type == libc::IPV6_RECVERR);
        // SAFETY: CMSG_LEN(0) is arithmetic on a constant.
        let data_len =
            (header.cmsg_len as usize).saturating_sub(unsafe { libc::CMSG_LEN(0) } as usize);
        let ee_size = std::mem::size_of::<libc::sock_extended_err>();
        if is_recverr && data_len >= ee_size {
            // SAFETY: the data holds at least a sock_extended_err (checked above).
            let data = unsafe { libc::CMSG_DATA(cmsg) };
            let ee = unsafe { std::ptr::read_unaligned(data.cast::<libc::sock_extended_err>()) };
            // SO_EE_OFFENDER: the sockaddr right after the extended error, when it fits.
            // SAFETY: reads stay within data_len, checked per address family.
            let offender = unsafe { offender(data.add(ee_size), data_len - ee_size) };
            return Ok(Some(QueuedError {
                errno: ee.ee_errno,
                origin: ee.ee_origin,
                icmp_type: ee.ee_type,
                icmp_code: ee.ee_code,
                offender,
                payload_len,
            }));
        }
        // SAFETY: as CMSG_FIRSTHDR.
        cmsg = unsafe { libc::CMSG_NXTHDR(&msg, cmsg) };
    }
    Ok(None)
}

/// Reads a sockaddr_in or sockaddr_in6 of at most `len` bytes at `ptr`.
///
/// # Safety
/// `ptr` must be valid for reads of `len` bytes.
unsafe fn offender(ptr: *const u8, len: usize) -> Option<IpAddr> {
    if len < std::mem::size_of::<libc::sa_family_t>() {
        return None;
    }
    // SAFETY: at least a family field is readable (checked above).
    let family = unsafe { std::ptr::read_unaligned(ptr.cast::<libc::sa_family_t>()) };
    match i32::from(family) {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the length covers a sockaddr_in.
            let sin = unsafe { std::ptr::read_unaligned(ptr.cast::<libc::sockaddr_in>()) };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the length covers a sockaddr_in6.
            let sin6 = unsafe { std::ptr::read_unaligned(ptr.cast::<libc::sockaddr_in6>()) };
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}
