//! Salvage's log surgery, on the working copy only: sled 0.34 replays its log up to the first
//! message that fails its checksum and no further, so one damaged message hides everything written
//! after it (and a store whose snapshot points past it does not open at all). Each damaged message
//! is rewritten here as a *canceled* one, a kind sled's recovery steps over, so the replay goes on
//! past it; what the damaged message held is lost, and a page whose newest copy it was fails when
//! read (salvage names it then).
//!
//! The layout, from sled 0.34.7's `pagecache/logger.rs` and `serialization.rs`: the `db` file is
//! segments of `segment_size` bytes; a segment starts with a 20-byte header (CRC-32 of bytes 4..20
//! xor `!0`, then its first LSN as i64 little-endian xor `0x7FFF_FFFF_FFFF_FFFF`); messages follow,
//! each a header (CRC-32 as u32 LE, kind as one byte, then `len`, segment number and page id in
//! sled's variable-length u64) and `len` bytes of body. A message's CRC is that of its body, then
//! its header after the CRC, xor `!0`. A message never starts in a segment's last 32 bytes.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

const SEG_HEADER_LEN: usize = 20;
const MAX_MSG_HEADER_LEN: usize = 32;
/// `MessageKind::Canceled`, and the highest kind sled 0.34 writes (`BlobLink`); `Cap` pads a
/// sealed segment to its end.
const CANCELED: u8 = 1;
const CAP: u8 = 2;
const MAX_KIND: u8 = 11;

/// sled's variable-length u64 (`serialization.rs`): the value and the bytes it took.
fn varint(buf: &[u8]) -> Option<(u64, usize)> {
    let first = *buf.first()?;
    match first {
        0..=240 => Some((u64::from(first), 1)),
        241..=248 => Some((
            240 + 256 * (u64::from(first) - 241) + u64::from(*buf.get(1)?),
            2,
        )),
        249 => Some((
            2288 + 256 * u64::from(*buf.get(1)?) + u64::from(*buf.get(2)?),
            3,
        )),
        other => {
            let size = other as usize - 247;
            let mut le = [0u8; 8];
            le[..size].copy_from_slice(buf.get(1..=size)?);
            Some((u64::from_le_bytes(le), size + 1))
        }
    }
}

fn put_varint(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=240 => out.push(v as u8),
        241..=2287 => {
            out.extend_from_slice(&[((v - 240) / 256 + 241) as u8, ((v - 240) % 256) as u8])
        }
        2288..=67823 => {
            out.extend_from_slice(&[249, ((v - 2288) / 256) as u8, ((v - 2288) % 256) as u8])
        }
        _ => {
            let size = (8 - v.leading_zeros() as usize / 8).max(3);
            out.push((247 + size) as u8);
            out.extend_from_slice(&v.to_le_bytes()[..size]);
        }
    }
}

/// A message header's fields: kind, body length, segment number, and the header's own length.
fn header(buf: &[u8]) -> Option<(u8, u64, u64, usize)> {
    let kind = *buf.get(4)?;
    let (len, a) = varint(buf.get(5..)?)?;
    let (seg, b) = varint(buf.get(5 + a..)?)?;
    let (_pid, c) = varint(buf.get(5 + a + b..)?)?;
    Some((kind, len, seg, 5 + a + b + c))
}

fn message_crc(head: &[u8], body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(body);
    h.update(&head[4..]);
    h.finalize() ^ 0xFFFF_FFFF
}

/// The length of a whole valid message at `at` of segment `seg` (number `number`), if one is.
fn valid_at(seg: &[u8], at: usize, number: u64) -> Option<(u8, usize)> {
    if at + MAX_MSG_HEADER_LEN > seg.len() {
        return None;
    }
    let (kind, len, n, hlen) = header(&seg[at..])?;
    if kind == 0 || kind > MAX_KIND || n != number {
        return None;
    }
    let end = at
        .checked_add(hlen)?
        .checked_add(usize::try_from(len).ok()?)?;
    if end > seg.len() {
        return None;
    }
    let crc = u32::from_le_bytes(seg[at..at + 4].try_into().ok()?);
    (message_crc(&seg[at..at + hlen], &seg[at + hlen..end]) == crc).then_some((kind, end - at))
}

/// A canceled message exactly `span` bytes long at `at` (its body: the damaged bytes, kept).
fn cancel(seg: &mut [u8], at: usize, span: usize, number: u64) -> bool {
    for hlen in 7..=MAX_MSG_HEADER_LEN {
        let Some(len) = span.checked_sub(hlen) else {
            return false;
        };
        let mut head = vec![0u8; 4];
        head.push(CANCELED);
        put_varint(&mut head, len as u64);
        put_varint(&mut head, number);
        put_varint(&mut head, 0);
        if head.len() != hlen {
            continue;
        }
        let crc = message_crc(&head, &seg[at + hlen..at + span]);
        head[..4].copy_from_slice(&crc.to_le_bytes());
        seg[at..at + hlen].copy_from_slice(&head);
        return true;
    }
    false
}

/// Rewrites every damaged message of one segment as canceled; how many and their bytes.
fn mend_segment(seg: &mut [u8], segment_size: usize) -> Vec<(usize, usize)> {
    let mut mended = Vec::new();
    // An unused segment, or one whose header is damaged: sled skips it too.
    let Some(lsn) = segment_lsn(&seg[..SEG_HEADER_LEN]) else {
        return mended;
    };
    let Ok(number) = u64::try_from(lsn / segment_size as i64) else {
        return mended;
    };
    let mut at = SEG_HEADER_LEN;
    while at + MAX_MSG_HEADER_LEN <= seg.len() {
        if let Some((kind, len)) = valid_at(seg, at, number) {
            if kind == CAP {
                break;
            }
            at += len;
            continue;
        }
        if seg[at..].iter().all(|b| *b == 0) {
            break; // the segment's unwritten rest
        }
        let next =
            (at + 1..=seg.len() - MAX_MSG_HEADER_LEN).find(|q| valid_at(seg, *q, number).is_some());
        let end = next.unwrap_or(seg.len());
        if !cancel(seg, at, end - at, number) {
            break;
        }
        mended.push((at, end - at));
        at = end;
    }
    mended
}

/// A segment's first LSN, when its header is sound (an unused segment's is not).
fn segment_lsn(head: &[u8]) -> Option<i64> {
    let stored = u32::from_le_bytes(head.get(0..4)?.try_into().ok()?) ^ 0xFFFF_FFFF;
    if crc32fast::hash(head.get(4..20)?) != stored {
        return None;
    }
    Some(i64::from_le_bytes(head[4..12].try_into().ok()?) ^ 0x7FFF_FFFF_FFFF_FFFF)
}

/// The file offset of the first damaged message sled would replay before `stable`, the LSN its
/// newest snapshot says was written: sled replays the segment holding that LSN from its start,
/// and a damaged message there is no write a crash cut short (the snapshot proves it was
/// written), yet sled would erase the log after it and then refuse the store. Reads one segment.
pub fn damaged_before(
    dir: &Path,
    segment_size: usize,
    stable: u64,
) -> std::io::Result<Option<u64>> {
    let mut file = std::fs::File::open(dir.join("db"))?;
    let size = file.metadata()?.len();
    let mut head = [0u8; SEG_HEADER_LEN];
    for start in (0..size).step_by(segment_size.max(1)) {
        file.seek(SeekFrom::Start(start))?;
        if file.read_exact(&mut head).is_err() {
            break;
        }
        let Some(base) = segment_lsn(&head).and_then(|l| u64::try_from(l).ok()) else {
            continue;
        };
        if !(base..base + segment_size as u64).contains(&stable) {
            continue;
        }
        let n = (segment_size as u64).min(size - start) as usize;
        let mut seg = vec![0u8; n];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut seg)?;
        let number = base / segment_size as u64;
        let end = (stable - base) as usize;
        let mut at = SEG_HEADER_LEN;
        while at < end && at + MAX_MSG_HEADER_LEN <= seg.len() {
            match valid_at(&seg, at, number) {
                Some((CAP, _)) => break,
                Some((_, len)) => at += len,
                None => return Ok(Some(start + at as u64)),
            }
        }
    }
    Ok(None)
}

/// Mends the `db` log file of a sled directory in place; one line per damaged message.
pub fn mend(dir: &Path, segment_size: usize) -> std::io::Result<Vec<String>> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("db"))?;
    let size = file.metadata()?.len() as usize;
    let mut notes = Vec::new();
    let mut seg = vec![0u8; segment_size];
    for start in (0..size).step_by(segment_size.max(1)) {
        let n = segment_size.min(size - start);
        if n < SEG_HEADER_LEN + MAX_MSG_HEADER_LEN {
            break;
        }
        file.seek(SeekFrom::Start(start as u64))?;
        file.read_exact(&mut seg[..n])?;
        let mended = mend_segment(&mut seg[..n], segment_size);
        if mended.is_empty() {
            continue;
        }
        file.seek(SeekFrom::Start(start as u64))?;
        file.write_all(&seg[..n])?;
        for (at, len) in mended {
            notes.push(format!(
                "a damaged message of {len} bytes at offset {} of sled's log was stepped over",
                start + at
            ));
        }
    }
    file.sync_all()?;
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleds_varint_reads_back_what_it_writes() {
        for v in [
            0u64,
            240,
            241,
            2287,
            2288,
            67823,
            67824,
            0xFF_FFFF,
            1 << 40,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(varint(&out), Some((v, out.len())), "{v}");
        }
    }

    #[test]
    fn a_healthy_log_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        for i in 0..2000u32 {
            db.insert(i.to_be_bytes(), vec![7u8; 300]).unwrap();
        }
        db.flush().unwrap();
        drop(db);
        let before = std::fs::read(dir.path().join("db")).unwrap();
        assert_eq!(mend(dir.path(), 512 * 1024).unwrap(), Vec::<String>::new());
        assert_eq!(std::fs::read(dir.path().join("db")).unwrap(), before);
    }
}
