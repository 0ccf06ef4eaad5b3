//! `import`: filling an empty store from an export or a backup (plain or gzip-compressed JSON
//! Lines, told apart by their first bytes), and `export --salvage`, which reads a store the
//! daemon cannot open (the commands that read a healthy store are in `admin`, so the running
//! daemon can answer them too).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::Error;
use crate::config;
use crate::output::{errln, outln};
use crate::store::Store;

/// Reads an export into the (empty) store.
pub(super) async fn import(path: &Path, file: &Path) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    let result = if file == Path::new("-") {
        let name = Path::new("(standard input)");
        let input = unpacked(std::io::stdin().lock(), name)?;
        store.import(input, name).await
    } else {
        let f = std::fs::File::open(file).map_err(|e| {
            Error::Failed(format!(
                "cannot read {}: {e}\n  hint: give the file `feedwright export` wrote",
                file.display()
            ))
        })?;
        store.import(unpacked(f, file)?, file).await
    };
    match result {
        Ok(n) => {
            outln!("imported {n} record(s) into {}", cfg.settings.store_place());
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The gzip magic bytes (RFC 1952): backups are compressed, exports are not.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A reader of the export's lines, decompressed when the input is gzip.
fn unpacked<'a>(input: impl Read + 'a, name: &Path) -> Result<Box<dyn BufRead + 'a>, Error> {
    let mut input = BufReader::new(input);
    let head = input.fill_buf().map_err(|e| {
        Error::Failed(format!(
            "cannot read {}: {e}\n  hint: give the file `feedwright export` or a backup wrote",
            name.display()
        ))
    })?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(BufReader::new(
            flate2::bufread::MultiGzDecoder::new(input),
        )))
    } else {
        Ok(Box::new(input))
    }
}

/// `export --salvage`: what sled can still read of the store, on stdout in the export format;
/// how it got at it and what it skipped on stderr. Exit 1 when anything was skipped.
pub(super) fn salvage(path: &Path) -> Result<(), Error> {
    let cfg = config::load(path)?;
    if cfg.settings.store.kind != config::StoreKind::Sled {
        return Err(Error::Usage(
            "`export --salvage` reads a damaged sled store; this configuration's store is PostgreSQL\n  hint: `feedwright export` reads it whole, and PostgreSQL's own tools (pg_dump, pg_amcheck) handle its damage".into(),
        ));
    }
    let state_dir = &cfg.settings.state_dir;
    let mut out = crate::admin::Out::local().writer();
    let (done, report) = Store::salvage(state_dir, &mut out)?;
    drop(out);
    for note in &report.notes {
        errln!("note: {note}");
    }
    for what in &report.skipped {
        errln!("warning: skipped {what}");
    }
    for what in &done.unreadable {
        errln!("warning: skipped an unreadable record: {what}");
    }
    errln!(
        "salvaged {} record(s) from {}",
        done.records,
        state_dir.display()
    );
    match report.skipped.len() + done.unreadable.len() {
        0 => Ok(()),
        n => Err(Error::Failed(format!(
            "{n} part(s) of the store could not be read and were left out (named above); the rest is on standard output\n  hint: move {} aside and `feedwright import` the salvaged file into the empty state directory",
            state_dir.display()
        ))),
    }
}
