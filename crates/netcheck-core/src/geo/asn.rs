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
}
