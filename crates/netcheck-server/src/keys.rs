//! Optional API keys, for callers who need a higher run rate than an anonymous client gets.
//! A key is 32 random bytes, written `nck_` and 64 hexadecimal digits; the server keeps only
//! the SHA-256 of each (`--api-keys FILE`, one hex digest a line), so the file gives nothing away
//! if read. SHA-256 rather than a password hash (argon2): a key has 256 bits of entropy, so
//! there is nothing to guess, and a slow hash would cost every request its time. A presented key
//! is hashed and compared with every digest in constant time (`subtle`), the whole list always,
//! so neither the time taken nor where it stopped says how close a guess was.
//!
//! A key is never logged; a client names it only in `Authorization: Bearer KEY`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What every key starts with, so that one found in a log or a repository is recognised.
pub const PREFIX: &str = "nck_";

/// The digests of the keys the operator gave out.
#[derive(Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("keys", &self.digests.len())
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the API key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}, line {line}: expected the SHA-256 of a key (64 hexadecimal digits, as `netcheck api-key new` prints), found {found:?}"
    )]
    BadLine {
        path: PathBuf,
        line: usize,
        found: String,
    },
    #[error("{path} holds no key (lines are SHA-256 digests; # starts a comment)")]
    Empty { path: PathBuf },
}

/// A fresh key and the line for the key file.
#[derive(Debug)]
pub struct NewKey {
    pub key: String,
    pub line: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// 64 hexadecimal digits as 32 bytes.
fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A new key from the operating system's random source.
pub fn new_key() -> Result<NewKey, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let key = format!("{PREFIX}{}", hex(&bytes));
    let line = hex(&digest(&key));
    Ok(NewKey { key, line })
}

impl ApiKeys {
    /// Reads a key file: one SHA-256 hex digest a line, blank lines and `#` comments (whole
    /// lines or after a digest) ignored.
    pub fn load(path: &Path) -> Result<ApiKeys, KeyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut digests = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            let digest = unhex(&entry.to_ascii_lowercase()).ok_or_else(|| {
                KeyFileError::BadLine {
                    path: path.to_owned(),
                    line: i + 1,
                    // A key pasted by mistake is not echoed whole.
                    found: entry.chars().take(12).collect::<String>() + "…",
                }
            })?;
            digests.push(digest);
        }
        if digests.is_empty() {
            return Err(KeyFileError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(ApiKeys { digests })
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Which key `presented` is (its place in the file), compared with every digest in
    /// constant time.
    pub fn find(&self, presented: &str) -> Option<usize> {
        let wanted = digest(presented);
        let mut found = None;
        for (i, d) in self.digests.iter().enumerate() {
            if bool::from(d.ct_eq(&wanted)) {
                found = Some(i);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(tag: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("netcheck-keys-{tag}-{}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_new_key_is_found_by_its_line_and_no_other_key_is() {
        let (a, b) = (new_key().unwrap(), new_key().unwrap());
        assert!(a.key.starts_with(PREFIX) && a.key.len() == PREFIX.len() + 64);
        assert_ne!(a.key, b.key);
        let path = file(
            "found",
            &format!("# ops\n{}  # alice\n\n{}\n", a.line, b.line.to_uppercase()),
        );
        let keys = ApiKeys::load(&path).unwrap();
        assert_eq!(keys.find(&a.key), Some(0));
        assert_eq!(keys.find(&b.key), Some(1));
        assert_eq!(keys.find(&a.line), None, "the digest is not the key");
        assert_eq!(keys.find("nck_guess"), None);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_bad_line_or_an_empty_file_is_refused_with_its_place() {
        let path = file("bad", "# ok\nnck_0123456789abcdef0123456789abcdef\n");
        let e = ApiKeys::load(&path).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("SHA-256"), "{e}");
        assert!(
            !e.contains("0123456789abcdef0123"),
            "the pasted key is not echoed: {e}"
        );
        let empty = file("empty", "# nothing yet\n");
        assert!(matches!(
            ApiKeys::load(&empty),
            Err(KeyFileError::Empty { .. })
        ));
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(empty);
    }
}
