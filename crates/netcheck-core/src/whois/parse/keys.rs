//! The many names registries give each field: a key, normalised by `lines.rs` (lower case,
//! no dot leaders), is one of the dates, a name server, a registrant's header, or the domain's
//! own. Shared by the line reader, which needs to know a domain's key when it sees one, and the
//! field reader.

/// The three dates a registration has.
pub(super) enum DateField {
    Created,
    Updated,
    Expires,
}

/// The many names registries give the three dates.
pub(super) fn date_field(key: &str) -> Option<DateField> {
    Some(match key {
        "creation date"
        | "created"
        | "created on"
        | "created date"
        | "registered on"
        | "registered date"
        | "domain registration date"
        | "registered"
        | "registration date"
        | "domain created"
        | "record created"
        | "domain record activated"
        | "登録年月日" => DateField::Created,
        "updated date"
        | "last updated"
        | "changed"
        | "last-update"
        | "last modified"
        | "last updated date"
        | "last update"
        | "modified"
        | "updated"
        | "last updated on"
        | "domain record last updated"
        | "最終更新" => DateField::Updated,
        "registry expiry date"
        | "registrar registration expiration date"
        | "expiry date"
        | "expiration date"
        | "expires"
        | "expires on"
        | "expire"
        | "paid-till"
        | "renewal date"
        | "expire date"
        | "record expires"
        | "domain expires"
        | "有効期限" => DateField::Expires,
        _ => return None,
    })
}

pub(super) fn is_name_server_key(key: &str) -> bool {
    matches!(
        key,
        "name server"
            | "nserver"
            | "name servers"
            | "host name"
            | "nameserver"
            | "nameservers"
            | "domain nameservers"
            | "primary server"
            | "secondary server"
    )
}

/// A key that is the domain's own, never the first line under a contact's header.
pub(super) fn is_domain_key(key: &str) -> bool {
    date_field(key).is_some()
        || is_name_server_key(key)
        || matches!(key, "domain status" | "status" | "dnssec" | "domain name")
}

pub(super) fn is_registrant_key(section: Option<&str>) -> bool {
    matches!(
        section,
        Some("registrant" | "holder" | "owner" | "domain holder" | "registrant name")
    )
}
