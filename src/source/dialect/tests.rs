//! The dialect rewrites, each on a small document.

use std::borrow::Cow;

use super::normalize;

#[test]
fn atom_03_becomes_atom_10() {
    let doc = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><tagline>T</tagline>
<entry><title mode="escaped" type="text/html">A &amp;amp; B</title><issued>2004-01-01T00:00:00Z</issued>
<author><url>http://a.test/</url></author>
<content type="text/html" mode="base64">PHA+SGk8L3A+</content></entry></feed>"#;
    let out = normalize(doc);
    assert!(
        out.contains(r#"xmlns="http://www.w3.org/2005/Atom""#),
        "{out}"
    );
    assert!(
        out.contains("<subtitle type=\"text\">T</subtitle>"),
        "{out}"
    );
    assert!(
        out.contains(r#"<title type="html">A &amp;amp; B</title>"#),
        "{out}"
    );
    assert!(
        out.contains("<published>2004-01-01T00:00:00Z</published>"),
        "{out}"
    );
    assert!(out.contains("<uri>http://a.test/</uri>"), "{out}");
    assert!(
        out.contains(r#"<content type="html">&lt;p&gt;Hi&lt;/p&gt;</content>"#),
        "{out}"
    );
}

#[test]
fn inline_markup_is_escaped_and_empty_constructs_dropped() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title/><summary type="text/plain"></summary>
<content type="application/xhtml+xml"><p>Hi &amp; bye</p></content></entry></feed>"#;
    let out = normalize(doc);
    assert!(
        !out.contains("<title") && !out.contains("<summary"),
        "{out}"
    );
    assert!(
        out.contains(r#"<content type="html">&lt;p&gt;Hi &amp;amp; bye&lt;/p&gt;</content>"#),
        "{out}"
    );
}

#[test]
fn items_outside_a_channel_get_one_and_linkless_rdf_items_a_link() {
    let out = normalize("<rss><item><title>x</title></item></rss>");
    assert_eq!(
        out,
        r#"<rss version="2.0"><channel><item><title>x</title></item></channel></rss>"#
    );
    assert_eq!(
        normalize(r#"<rss version="2.0"/>"#),
        r#"<rss version="2.0"><channel></channel></rss>"#
    );
    let rdf = r#"<rdf:RDF xmlns:rdf="r" xmlns="http://my.netscape.com/rdf/simple/0.9/"><item rdf:about="http://a.test/1"><title>a</title></item><item><title>b</title></item><item><link>l</link></item></rdf:RDF>"#;
    let out = normalize(rdf);
    assert!(out.contains(r#"xmlns="http://purl.org/rss/1.0/""#), "{out}");
    assert!(
        out.contains("<title>a</title><link>http://a.test/1</link></item>"),
        "{out}"
    );
    assert!(
        out.contains("<title>b</title><link>feedwright:no-link</link></item>"),
        "{out}"
    );
    assert!(out.contains("<item><link>l</link></item>"), "{out}");
}

#[test]
fn rss_without_a_known_version_is_read_as_2_0_and_atom_10_is_left_alone() {
    let out = normalize("<rss><channel><item><title>x</title></item></channel></rss>");
    assert!(out.starts_with(r#"<rss version="2.0">"#), "{out}");
    let out = normalize(r#"<rss version="0.94" xmlns:dc="x"><channel/></rss>"#);
    assert!(
        out.starts_with(r#"<rss version="2.0" xmlns:dc="x">"#),
        "{out}"
    );
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">a</title></entry></feed>"#;
    assert!(matches!(normalize(atom), Cow::Borrowed(_)));
}
