//! sslscan, the TLS scan's reference in the agreement tests: its accepted (version, suite)
//! pairs read from its XML (`<cipher status="accepted" sslversion="TLSv1.2" id="0xc030" …/>`),
//! in netcheck's names (`TLS 1.2`, `0xC030`). The XML is small and flat; no XML crate is needed
//! for three attributes of one element.

use std::collections::BTreeSet;

/// (version, code point) pairs, e.g. `("TLS 1.2", "0xC030")`.
pub type Pairs = BTreeSet<(String, String)>;

/// The pairs sslscan accepted (or preferred) in `xml`, the output of `sslscan --xml=-`.
pub fn accepted_pairs(xml: &str) -> Pairs {
    let attribute = |element: &str, name: &str| -> Option<String> {
        let at = element.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(element[at..].split('"').next()?.to_owned())
    };
    xml.split("<cipher ")
        .skip(1)
        .filter_map(|element| {
            // Every attribute after a space, the first one too.
            let element = format!(" {}", element.split("/>").next()?);
            let status = attribute(&element, "status")?;
            if status != "accepted" && status != "preferred" {
                return None;
            }
            let version = match attribute(&element, "sslversion")?.as_str() {
                "SSLv3" => "SSL 3.0".to_owned(),
                v => v.replace("TLSv", "TLS "),
            };
            let id = attribute(&element, "id")?;
            Some((
                version,
                format!("0x{}", id.trim_start_matches("0x").to_uppercase()),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_preferred_ciphers_are_read_and_rejected_ones_left_out() {
        let xml = r#"<ssltest host="x"><cipher status="preferred" sslversion="TLSv1.2" bits="256" cipher="ECDHE-RSA-AES256-GCM-SHA384" id="0xc030" />
<cipher status="accepted" sslversion="SSLv3" bits="128" cipher="AES128-SHA" id="0x002f" />
<cipher status="rejected" sslversion="TLSv1.3" bits="256" cipher="TLS_AES_256_GCM_SHA384" id="0x1302" /></ssltest>"#;
        let pairs: Vec<(String, String)> = accepted_pairs(xml).into_iter().collect();
        assert_eq!(
            pairs,
            [
                ("SSL 3.0".to_owned(), "0x002F".to_owned()),
                ("TLS 1.2".to_owned(), "0xC030".to_owned())
            ]
        );
    }
}
