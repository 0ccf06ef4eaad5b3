//! `import`: filling an empty store from an export (the commands that read the store are in
//! `admin`, so the running daemon can answer them too).

use std::path::Path;

use super::Error;
use crate::config;
use crate::output::outln;
use crate::store::Store;

/// Reads an export into the (empty) store.
pub(super) async fn import(path: &Path, file: &Path) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    let result = if file == Path::new("-") {
        store
            .import(std::io::stdin().lock(), Path::new("(standard input)"))
            .await
    } else {
        let f = std::fs::File::open(file).map_err(|e| {
            Error::Failed(format!(
                "cannot read {}: {e}\n  hint: give the file `feedwright export` wrote",
                file.display()
            ))
        })?;
        store.import(std::io::BufReader::new(f), file).await
    };
    match result {
        Ok(n) => {
            outln!(
                "imported {n} record(s) into {}",
                cfg.settings.state_dir.display()
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
