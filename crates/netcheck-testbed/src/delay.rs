//! The delay line: a user-space bridge between two interfaces that holds every frame for a fixed
//! time before passing it on. The kernel here has no netem, so one-way delay is made this way.
//!
//! It runs on threads that enter the delay namespace with setns(2) before opening their
//! AF_PACKET sockets (a socket stays in the namespace it was made in). No crate offers
//! AF_PACKET with the packet type filter it needs, so the few libc calls are made here, each
//! commented. Frames the line itself sent are ignored (PACKET_IGNORE_OUTGOING), or it would
//! echo them back forever.

#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::TestbedError;

/// `PACKET_IGNORE_OUTGOING` from linux/if_packet.h (since 4.20); libc does not export it.
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
/// How often a blocked receive wakes to see whether the line should stop.
const POLL: Duration = Duration::from_millis(100);

pub struct DelayLine {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl DelayLine {
    /// Bridges `a` and `b` inside namespace `ns`, delaying each direction by `delay`.
    pub fn start(ns: &str, a: &str, b: &str, delay: Duration) -> Result<DelayLine, TestbedError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ns, a, b) = (ns.to_owned(), a.to_owned(), b.to_owned());
        let (ready_tx, ready_rx) = mpsc::channel();
        let stop_flag = stop.clone();
        let setup = std::thread::spawn(move || {
            let sockets =
                enter_namespace(&ns).and_then(|()| Ok((packet_socket(&a)?, packet_socket(&b)?)));
            let (sa, sb) = match sockets {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Vec::new();
                }
            };
            let (sa2, sb2) = match (sa.try_clone(), sb.try_clone()) {
                (Ok(x), Ok(y)) => (x, y),
                _ => {
                    let _ = ready_tx.send(Err(TestbedError::Command(
                        "cannot duplicate packet sockets".into(),
                    )));
                    return Vec::new();
                }
            };
            let _ = ready_tx.send(Ok(()));
            let mut threads = direction(sa, sb2, delay, stop_flag.clone());
            threads.extend(direction(sb, sa2, delay, stop_flag));
            threads
        });
        ready_rx
            .recv()
            .map_err(|_| TestbedError::Command("the delay line did not start".into()))??;
        let threads = setup
            .join()
            .map_err(|_| TestbedError::Command("the delay line setup panicked".into()))?;
        Ok(DelayLine { stop, threads })
    }
}

impl Drop for DelayLine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A receiver thread that stamps frames and a sender thread that releases them when due. The
/// delay is the same for every frame, so a FIFO keeps them in order.
fn direction(
    mut from: File,
    mut to: File,
    delay: Duration,
    stop: Arc<AtomicBool>,
) -> Vec<JoinHandle<()>> {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let stop_rx = stop.clone();
    let receiver = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while !stop_rx.load(Ordering::Relaxed) {
            match from.read(&mut buf) {
                Ok(n) if n > 0 => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        return;
                    }
                }
                _ => continue, // timeout (SO_RCVTIMEO) or a transient error: check `stop` again
            }
        }
    });
    let sender = std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let Ok((due, frame)) = rx.recv_timeout(POLL) else {
                continue;
            };
            let wait = due.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            let _ = to.write(&frame);
        }
    });
    vec![receiver, sender]
}

fn enter_namespace(ns: &str) -> Result<(), TestbedError> {
    let path = format!("/run/netns/{ns}");
    let file = File::open(&path).map_err(|e| TestbedError::Command(format!("{path}: {e}")))?;
    // SAFETY: setns(2) with a valid open namespace fd; it changes only the calling thread.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(TestbedError::Command(format!(
            "setns {ns}: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

/// An AF_PACKET socket bound to `ifname` that sees every frame arriving there except its own.
fn packet_socket(ifname: &str) -> Result<File, TestbedError> {
    let err = |what: &str| {
        TestbedError::Command(format!(
            "{what} on {ifname}: {}",
            std::io::Error::last_os_error()
        ))
    };
    let name = CString::new(ifname)
        .map_err(|_| TestbedError::Command(format!("bad interface name {ifname}")))?;
    // SAFETY: if_nametoindex reads a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        return Err(err("if_nametoindex"));
    }
    let protocol = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: plain socket(2) call; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, libc::c_int::from(protocol)) };
    if fd < 0 {
        return Err(err("socket(AF_PACKET)"));
    }
    // SAFETY: fd is a fresh, valid descriptor that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: sockaddr_ll is plain old data; zeroed is a valid starting value.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = protocol;
    addr.sll_ifindex = index as i32;
    // SAFETY: addr is a valid sockaddr_ll and the length matches it.
    let rc = unsafe {
        libc::bind(
            owned.as_raw_fd(),
            (&addr as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(err("bind"));
    }
    let one: libc::c_int = 1;
    // SAFETY: the option value is a c_int that outlives the call, with its size given.
    let rc = unsafe {
        libc::setsockopt(
            owned.as_raw_fd(),
            libc::SOL_PACKET,
            PACKET_IGNORE_OUTGOING,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(err("PACKET_IGNORE_OUTGOING"));
    }
    let timeout = libc::timeval {
        tv_sec: 0,
        tv_usec: POLL.as_micros() as libc::suseconds_t,
    };
    // SAFETY: as above, with a timeval.
    let rc = unsafe {
        libc::setsockopt(
            owned.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(err("SO_RCVTIMEO"));
    }
    Ok(File::from(owned))
}
