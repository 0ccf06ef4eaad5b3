//! Bytes to text: a BOM, then the `Content-Type` charset, then an XML declaration's `encoding` (feeds),
//! then `<meta charset>` or `http-equiv` in the first 1024 bytes, then UTF-8 (the WHATWG order, minus the statistical guessing). A source's
//! `encoding` overrides everything but a BOM. windows-1251, KOI8-R and the ISO-8859 family decode
//! through encoding_rs.

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8};
use regex::bytes::Regex;

static META: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta[^>]+charset[ \t\n\r]*=[ \t\n\r]*["']?[ \t]*([a-z0-9_:.\-]+)"#)
        .expect("constant regex") // NOTE(unwrap): a constant pattern
});

/// The encoding named by a `Content-Type` header value, if any.
pub fn from_content_type(value: &str) -> Option<&'static Encoding> {
    let (_, rest) = value.split_once(';')?;
    rest.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| Encoding::for_label(v.trim().trim_matches('"').as_bytes()))?
    })
}

static XML_DECL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?-u)\A[ \t\r\n]*<\?xml[^>]*?encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z0-9_:.\-]+)["']"#,
    )
    .expect("constant regex") // NOTE(unwrap): a constant pattern
});

/// The encoding an XML declaration (`<?xml version="1.0" encoding="windows-1251"?>`) names.
pub fn from_xml_declaration(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(256)];
    let label = XML_DECL.captures(head)?.get(1)?.as_bytes();
    Encoding::for_label(label).filter(|e| !e.name().starts_with("UTF-16"))
}

/// The encoding a `<meta>` in the first 1024 bytes declares.
pub fn from_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let label = META.captures(head)?.get(1)?.as_bytes();
    // A page that says UTF-16 in ASCII-compatible bytes is not UTF-16 (WHATWG "get an encoding").
    Encoding::for_label(label).map(|e| {
        if e.name().starts_with("UTF-16") {
            UTF_8
        } else {
            e
        }
    })
}

/// Decodes a body. Malformed sequences become U+FFFD rather than failing the page.
pub fn decode(
    bytes: &[u8],
    content_type: Option<&str>,
    forced: Option<&'static Encoding>,
) -> String {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    let enc = forced
        .or_else(|| content_type.and_then(from_content_type))
        .or_else(|| from_xml_declaration(bytes))
        .or_else(|| from_meta(bytes))
        .unwrap_or(UTF_8);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp1251(s: &str) -> Vec<u8> {
        encoding_rs::WINDOWS_1251.encode(s).0.into_owned()
    }

    #[test]
    fn header_then_meta_then_utf8() {
        let body =
            cp1251("<html><head><meta charset=\"windows-1251\"></head><body>Новости</body></html>");
        assert!(decode(&body, Some("text/html"), None).contains("Новости"));
        let koi = encoding_rs::KOI8_R.encode("Вести").0.into_owned();
        assert_eq!(
            decode(&koi, Some("text/html; charset=KOI8-R"), None),
            "Вести"
        );
        assert_eq!(decode("Grüße".as_bytes(), None, None), "Grüße");
    }

    #[test]
    fn an_xml_declaration_names_the_feeds_charset() {
        let body = cp1251(
            "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><title>Новости</title></rss>",
        );
        assert!(decode(&body, Some("text/xml"), None).contains("Новости"));
        // The header's charset still wins, as RFC 7303 says.
        let koi = encoding_rs::KOI8_R
            .encode("<?xml version='1.0' encoding='windows-1251'?><a>Вести</a>")
            .0
            .into_owned();
        assert!(decode(&koi, Some("text/xml; charset=koi8-r"), None).contains("Вести"));
        assert_eq!(
            from_xml_declaration(b"<html><?xml encoding=\"koi8-r\"?>"),
            None
        );
    }

    #[test]
    fn http_equiv_and_bom_and_override() {
        let body = cp1251(
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">Дата",
        );
        assert!(decode(&body, None, None).ends_with("Дата"));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("Ясно".as_bytes());
        assert_eq!(
            decode(&bom, Some("text/html; charset=windows-1251"), None),
            "Ясно"
        );
        let wrong_header = cp1251("Март");
        assert_eq!(
            decode(
                &wrong_header,
                Some("text/html; charset=utf-8"),
                Some(encoding_rs::WINDOWS_1251)
            ),
            "Март"
        );
    }
}
