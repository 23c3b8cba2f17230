//! The AS number and organisation of an address, from sorted ranges: ip-location-db's CSV
//! (`start_ip,end_ip,asn,organisation`, one range a line, organisation quoted when it has
//! commas), looked up by binary search.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

#[derive(Debug, Default)]
pub struct AsnTable {
    v4: Vec<(u32, u32, u32, u32)>,
    v6: Vec<(u128, u128, u32, u32)>,
    organisations: Vec<String>,
}

impl AsnTable {
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn load(&mut self, path: &Path) -> Result<(), String> {
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        self.read(file)
    }

    /// Reads ranges; a malformed line is skipped.
    pub fn read(&mut self, input: impl std::io::Read) -> Result<(), String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut interned: HashMap<String, u32> = self
            .organisations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.clone(), i as u32))
            .collect();
        for record in reader.records() {
            // A bad line (e.g. an organisation name that is not UTF-8) is skipped, like a short
            // one; only the sort below makes the table searchable.
            let Ok(record) = record else { continue };
            let (Some(start), Some(end), Some(asn)) = (record.get(0), record.get(1), record.get(2))
            else {
                continue;
            };
            let Ok(asn) = asn.trim().parse::<u32>() else {
                continue;
            };
            let org = record.get(3).unwrap_or("").trim().to_owned();
            let next = self.organisations.len() as u32;
            let id = *interned.entry(org.clone()).or_insert_with(|| {
                self.organisations.push(org);
                next
            });
            match (start.trim().parse::<IpAddr>(), end.trim().parse::<IpAddr>()) {
                (Ok(IpAddr::V4(s)), Ok(IpAddr::V4(e))) => {
                    self.v4.push((u32::from(s), u32::from(e), asn, id))
                }
                (Ok(IpAddr::V6(s)), Ok(IpAddr::V6(e))) => {
                    self.v6.push((u128::from(s), u128::from(e), asn, id))
                }
                _ => {}
            }
        }
        self.v4.sort_unstable_by_key(|r| r.0);
        self.v6.sort_unstable_by_key(|r| r.0);
        Ok(())
    }

    pub fn lookup(&self, ip: IpAddr) -> Option<(u32, &str)> {
        let hit = match ip {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => find(&self.v4, u32::from(v4)),
                None => find(&self.v6, u128::from(a)),
            },
        }?;
        Some((
            hit.0,
            self.organisations
                .get(hit.1 as usize)
                .map(String::as_str)
                .unwrap_or(""),
        ))
    }
}

fn find<T: Ord + Copy>(ranges: &[(T, T, u32, u32)], ip: T) -> Option<(u32, u32)> {
    let i = ranges.partition_point(|r| r.0 <= ip);
    let r = ranges.get(i.checked_sub(1)?)?;
    (ip <= r.1).then_some((r.2, r.3))
}

/// An address as a sort key: IPv4 below IPv6, each in numeric order.
type Key = (u8, u128);

fn key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V4(a) => (4, u128::from(u32::from(a))),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => (4, u128::from(u32::from(v4))),
            None => (6, u128::from(a)),
        },
    }
}

/// One line of ranges: start, end, AS number, organisation.
struct Row {
    start: Key,
    end: Key,
    asn: u32,
    organisation: String,
}

fn parse_row(line: &[u8]) -> Option<Row> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    let record = reader.byte_records().next()?.ok()?;
    let field = |i| std::str::from_utf8(record.get(i)?).ok().map(str::trim);
    let start = key(field(0)?.parse().ok()?);
    let end = key(field(1)?.parse().ok()?);
    let asn = field(2)?.parse().ok()?;
    let organisation = String::from_utf8_lossy(record.get(3).unwrap_or_default())
        .trim()
        .to_owned();
    Some(Row {
        start,
        end,
        asn,
        organisation,
    })
}

/// A CSV of ranges sorted by start address (as ip-location-db's are), searched where it lies:
/// a binary search over byte offsets, reading a line at each step, in the manner of `look(1)`.
/// Loading the 515,000 ranges of ip-location-db's two files instead took 0.4 s a run; a lookup
/// here reads a few kilobytes. No crate searches a sorted text file in place; the method is a
/// few lines.
pub struct AsnFile {
    file: std::fs::File,
    len: u64,
}

/// Below this many bytes the search reads line by line instead of halving.
const WINDOW: u64 = 8 * 1024;
/// A longer line is not a range.
const MAX_LINE: usize = 64 * 1024;

impl AsnFile {
    pub fn open(path: &Path) -> std::io::Result<AsnFile> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        Ok(AsnFile { file, len })
    }

    /// The AS number and organisation of `ip`; an error when the file turns out not to be
    /// sorted (or cannot be read), so that the caller can load and sort it instead.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<(u32, String)>, String> {
        let target = key(ip);
        let (mut lo, mut hi) = (0, self.len);
        let (mut lo_key, mut hi_key) = (None, None);
        while hi - lo > WINDOW {
            let mid = lo + (hi - lo) / 2;
            let Some((start, first, _)) = self.row_from(mid, hi)? else {
                hi = mid;
                continue;
            };
            if lo_key.is_some_and(|k| first < k) || hi_key.is_some_and(|k| first > k) {
                return Err("the ranges are not sorted by start address".into());
            }
            if first <= target {
                (lo, lo_key) = (start, Some(first));
            } else {
                (hi, hi_key) = (start, Some(first));
            }
        }
        let mut best = None;
        let mut previous = lo_key;
        let mut at = lo;
        while let Some((start, first, line)) = self.row_from(at, hi)? {
            if previous.is_some_and(|k| first < k) {
                return Err("the ranges are not sorted by start address".into());
            }
            previous = Some(first);
            if first > target {
                break;
            }
            at = start + 1;
            best = Some(line);
        }
        // Only the line that may hold the address is read whole.
        Ok(best
            .and_then(|line| parse_row(&line))
            .filter(|row| row.start <= target && target <= row.end && row.start.0 == target.0)
            .map(|row| (row.asn, row.organisation)))
    }

    /// The first line whose first field is an address, starting at or after `from` and before
    /// `until`: its offset, that address's key, and the line.
    fn row_from(&self, from: u64, until: u64) -> Result<Option<(u64, Key, Vec<u8>)>, String> {
        let mut at = from;
        while let Some((start, line)) = self.line_from(at)? {
            if start >= until {
                return Ok(None);
            }
            let first = line.split(|&b| b == b',').next().unwrap_or_default();
            let address = std::str::from_utf8(first)
                .ok()
                .and_then(|f| f.trim().trim_matches('"').parse::<IpAddr>().ok());
            if let Some(address) = address {
                return Ok(Some((start, key(address), line)));
            }
            at = start + 1;
        }
        Ok(None)
    }

    /// The first line starting at or after `from`, with its offset.
    fn line_from(&self, from: u64) -> Result<Option<(u64, Vec<u8>)>, String> {
        use std::os::unix::fs::FileExt;
        // A line starts at `from` if the byte before it ends a line.
        let mut pos = from.saturating_sub(1);
        let mut start = (from == 0).then_some(0);
        let mut line = Vec::new();
        let mut buf = vec![0; 512];
        while pos < self.len {
            let n = self
                .file
                .read_at(&mut buf, pos)
                .map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            let mut chunk = &buf[..n];
            if start.is_none() {
                match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        start = Some(pos + i as u64 + 1);
                        chunk = &chunk[i + 1..];
                    }
                    None => {
                        pos += n as u64;
                        continue;
                    }
                }
            }
            match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    line.extend_from_slice(&chunk[..i]);
                    return Ok(start.map(|s| (s, line)));
                }
                None => line.extend_from_slice(chunk),
            }
            if line.len() > MAX_LINE {
                return Err(format!("a line longer than {MAX_LINE} bytes"));
            }
            pos += n as u64;
        }
        Ok(start.filter(|&s| s < self.len).map(|s| (s, line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_found_and_gaps_are_not() {
        let csv: &[u8] = b"1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n9.0.0.0,9.0.0.255,1,bad \xff\n1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\nnot,a,line\n2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n";
        let mut t = AsnTable::default();
        t.read(csv).unwrap();
        assert_eq!(
            t.lookup("1.0.0.1".parse().unwrap()),
            Some((13335, "Cloudflare, Inc."))
        );
        assert_eq!(
            t.lookup("1.0.7.255".parse().unwrap()),
            Some((38803, "Gtelecom Pty Ltd"))
        );
        assert_eq!(t.lookup("1.0.2.0".parse().unwrap()), None, "between ranges");
        assert_eq!(
            t.lookup("9.0.0.1".parse().unwrap()),
            None,
            "a line that is not UTF-8 is skipped, the rest still sorted"
        );
        assert_eq!(
            t.lookup("0.0.0.1".parse().unwrap()),
            None,
            "before the first"
        );
        assert_eq!(
            t.lookup("2001:200::1".parse().unwrap()),
            Some((2500, "WIDE Project"))
        );
        assert_eq!(
            t.lookup("::ffff:1.0.0.9".parse().unwrap()),
            Some((13335, "Cloudflare, Inc."))
        );
    }

    fn temp_file(name: &str, text: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("netcheck-asn-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Ranges with gaps between them, v4 and v6, one organisation quoted with a comma.
    fn ranges(n: u32) -> String {
        let mut text = String::from("start_ip,end_ip,asn,organisation\n");
        for i in 0..n {
            let base = 0x0100_0000 + i * 0x400;
            let (s, e) = (
                std::net::Ipv4Addr::from(base),
                std::net::Ipv4Addr::from(base + 0x1ff),
            );
            text.push_str(&format!("{s},{e},{},\"Org {i}, Inc.\"\n", 64_512 + i));
        }
        for i in 0..n / 4 {
            let base: u128 = 0x2001_0db8_u128 << 96 | u128::from(i) << 64;
            let (s, e) = (
                std::net::Ipv6Addr::from(base),
                std::net::Ipv6Addr::from(base | 0xffff_ffff),
            );
            text.push_str(&format!("{s},{e},{},Six {i}\n", 4_200_000_000 + i));
        }
        text
    }

    #[test]
    fn searching_the_file_in_place_agrees_with_the_loaded_table() {
        // 3,000 ranges (~170 KB): many halvings before the final window.
        let text = ranges(3000);
        let path = temp_file("sorted.csv", text.as_bytes());
        let file = AsnFile::open(&path).unwrap();
        let mut table = AsnTable::default();
        table.read(text.as_bytes()).unwrap();
        let mut probes: Vec<IpAddr> = Vec::new();
        for i in (0..3000u32).step_by(7) {
            let base = 0x0100_0000 + i * 0x400;
            // first, last, just past the end (a gap), just before the start.
            for a in [base, base + 0x1ff, base + 0x200, base - 1] {
                probes.push(std::net::Ipv4Addr::from(a).into());
            }
        }
        probes.extend(
            [
                "0.0.0.1",
                "255.255.255.255",
                "::ffff:1.0.0.5",
                "2001:db8::1",
                "2001:db8:0:2ff::5",
                "2001:db8:0:2ff:1::",
                "2001:db9::",
                "::1",
            ]
            .map(|a| a.parse::<IpAddr>().unwrap()),
        );
        for ip in probes {
            let want = table.lookup(ip).map(|(n, o)| (n, o.to_owned()));
            assert_eq!(file.lookup(ip).unwrap(), want, "{ip}");
        }
        assert_eq!(
            file.lookup("1.0.0.9".parse().unwrap()).unwrap(),
            Some((64_512, "Org 0, Inc.".to_owned()))
        );
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn an_unsorted_file_is_refused_and_an_unterminated_last_line_read() {
        let mut lines: Vec<String> = ranges(2000).lines().skip(1).map(str::to_owned).collect();
        lines.swap(100, 1700);
        let path = temp_file("unsorted.csv", lines.join("\n").as_bytes());
        let file = AsnFile::open(&path).unwrap();
        let refused = (0..2000u32).step_by(50).any(|i| {
            file.lookup(std::net::Ipv4Addr::from(0x0100_0000 + i * 0x400).into())
                .is_err()
        });
        assert!(
            refused,
            "a search across the swapped lines sees them out of order"
        );
        std::fs::remove_file(path).unwrap();
        let path = temp_file("short.csv", b"1.0.0.0,1.0.0.255,13335,Cloudflare");
        let file = AsnFile::open(&path).unwrap();
        assert_eq!(
            file.lookup("1.0.0.1".parse().unwrap()).unwrap(),
            Some((13335, "Cloudflare".to_owned()))
        );
        std::fs::remove_file(path).unwrap();
    }
}
