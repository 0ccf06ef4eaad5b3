//! The representations of a published file: plain, gzip or brotli, which one a request's
//! `Accept-Encoding` asks for (`negotiate`), and the compression that makes it. `entry.rs` names
//! each representation's ETag by its encoding; `load.rs` compresses on the first request.

use std::collections::HashMap;
use std::io::Write;

use axum::body::Bytes;
use axum::http::HeaderValue;

/// How a body is encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    pub(super) fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }

    pub(super) fn slot(self) -> usize {
        self as usize
    }

    /// `plain` in this encoding.
    pub(super) fn encode(self, plain: Bytes) -> Bytes {
        match self {
            Encoding::Identity => plain,
            Encoding::Gzip => Bytes::from(gzip(&plain)),
            Encoding::Brotli => Bytes::from(brotli(&plain)),
        }
    }
}

/// The best encoding `Accept-Encoding` allows: brotli, then gzip, then none. `q=0` refuses one;
/// `*` stands for those not named.
pub fn negotiate(accept: Option<&HeaderValue>) -> Encoding {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let mut q = HashMap::new();
    for part in accept.split(',') {
        let mut bits = part.split(';');
        let name = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let weight = bits
            .filter_map(|b| b.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        q.insert(name, weight);
    }
    let weight = |name: &str| q.get(name).or_else(|| q.get("*")).copied().unwrap_or(0.0);
    let (br, gz) = (weight("br"), weight("gzip").max(weight("x-gzip")));
    if br > 0.0 && br >= gz {
        Encoding::Brotli
    } else if gz > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        lgwin: window_bits(body.len()),
        ..Default::default()
    };
    // Reading a slice and writing a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    out
}

/// The smallest brotli window (10 to 22 bits) that holds the whole body: the same output as the
/// largest window for bodies that fit, and the encoder's buffers sized to the body, not to 4 MiB.
fn window_bits(len: usize) -> i32 {
    let bits = usize::BITS - len.saturating_sub(1).leading_zeros();
    i32::try_from(bits).unwrap_or(22).clamp(10, 22)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn the_brotli_window_holds_the_body() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1024), 10);
        assert_eq!(window_bits(1025), 11);
        assert_eq!(window_bits(200_000), 18);
        assert_eq!(window_bits(1 << 18), 18);
        assert_eq!(window_bits(50 << 20), 22);
    }

    #[test]
    fn negotiation_prefers_brotli_then_gzip_and_honours_q_zero() {
        assert_eq!(negotiate(None), Encoding::Identity);
        assert_eq!(negotiate(Some(&hv("gzip, deflate, br"))), Encoding::Brotli);
        assert_eq!(negotiate(Some(&hv("gzip"))), Encoding::Gzip);
        assert_eq!(negotiate(Some(&hv("br;q=0, gzip;q=0.5"))), Encoding::Gzip);
        assert_eq!(negotiate(Some(&hv("gzip;q=0"))), Encoding::Identity);
        assert_eq!(negotiate(Some(&hv("*"))), Encoding::Brotli);
        assert_eq!(negotiate(Some(&hv("identity"))), Encoding::Identity);
        assert_eq!(negotiate(Some(&hv("gzip;q=1.0, br;q=0.4"))), Encoding::Gzip);
    }
}
