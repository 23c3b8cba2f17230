//! Real peers for netcheck's tests, made in the test and bound to port 0 on loopback: a DNS
//! server whose answers and misbehaviour are set per name, a test PKI (rcgen), and HTTP/HTTPS
//! servers with the routes the site check needs (redirects, loops, big and slow bodies); nginx
//! with certificates made by the openssl CLI where rcgen cannot make them (weak keys, MD5), and
//! OpenSSL's s_server with chosen protocols and suites; an
//! SMTP server (aiosmtpd) delivering into a maildir.
//! Each server stops when its handle is dropped.

pub mod dns;
pub mod legacy_pki;
pub mod nats;
pub mod nginx;
pub mod pki;
pub mod postgres;
pub mod s_server;
pub mod smtp;
pub mod sslscan;
pub mod web;
pub mod whois;
