//! What makes a cipher suite weak, in words: the one place that reads a suite's parts (the probe
//! crate's `SuiteTraits`) as a judgement. The grade reads the same parts for its caps.

use netcheck_probe::tls::{Cipher, SuiteTraits};

/// Why `traits` make a weak suite, the worst reason first; `None` for a good suite (forward
/// secret or not: that is the grade's business, not a weakness of the suite alone).
pub fn weakness(traits: &SuiteTraits) -> Option<String> {
    let why = if traits.export {
        "an export suite, made breakable on purpose (FREAK, Logjam)"
    } else if traits.cipher == Cipher::Null {
        "NULL encryption: the traffic is not encrypted"
    } else if traits.anonymous {
        "anonymous: the server is not authenticated, anyone in the middle can pose as it"
    } else if traits.cipher == Cipher::Rc4 {
        "RC4, which RFC 7465 forbids"
    } else if matches!(traits.cipher, Cipher::Des | Cipher::Rc2) {
        "a 56-bit (or weaker) cipher"
    } else if traits.cipher == Cipher::TripleDes {
        "3DES, a 64-bit block cipher (Sweet32)"
    } else if traits.cipher == Cipher::Idea {
        "IDEA, a 64-bit block cipher"
    } else {
        return None;
    };
    Some(why.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(code: u16) -> Option<String> {
        weakness(&SuiteTraits::of(code).unwrap())
    }

    #[test]
    fn weak_suites_say_why_and_good_ones_say_nothing() {
        assert!(of(0x0003).unwrap().contains("export"));
        assert!(of(0x0002).unwrap().contains("NULL"));
        assert!(of(0x0034).unwrap().contains("anonymous"));
        assert!(of(0x0005).unwrap().contains("RC4"));
        assert!(of(0x0009).unwrap().contains("56-bit"));
        assert!(of(0x000A).unwrap().contains("3DES"));
        assert_eq!(of(0xC030), None);
        assert_eq!(of(0x002F), None, "static RSA is graded, not marked weak");
        assert_eq!(of(0x1301), None);
    }
}
