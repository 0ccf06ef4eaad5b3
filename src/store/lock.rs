//! One process per state directory: an OS file lock on `{state_dir}/lock`, which also holds the pid
//! and command of its holder so a second process can say who it is. The OS releases the lock when the
//! holder dies, even by `kill -9`. Commands that only look (`Store::open_existing`) refuse a
//! state directory that holds no store instead of creating one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use super::{Store, StoreError};

impl Store {
    /// `open` for commands that only look (`status`, `items`, `export`): a state directory
    /// without a store is `StoreError::Missing`, never a fresh empty store somewhere unexpected
    /// (an admin's `status` with the wrong settings used to create one and report "never ran").
    pub fn open_existing(settings: &crate::config::Settings) -> Result<Store, StoreError> {
        let sled = settings.store.kind == crate::config::StoreKind::Sled;
        if sled && !settings.db_dir().is_dir() {
            let dir = &settings.state_dir;
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            return Err(StoreError::Missing { dir });
        }
        Store::open(settings)
    }
}

/// Held for as long as the process uses the state directory.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Takes the lock or names the process that holds it.
    pub fn acquire(state_dir: &Path) -> Result<StateLock, StoreError> {
        let dir_err = |source| StoreError::Dir {
            dir: state_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(state_dir).map_err(dir_err)?;
        let path = state_dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(dir_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another feedwright process".to_string()
                } else {
                    holder.to_string()
                };
                return Err(StoreError::Locked {
                    dir: state_dir.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(dir_err(e)),
        }
        let me = format!(
            "pid {} ({}), since {}",
            std::process::id(),
            std::env::args().collect::<Vec<_>>().join(" "),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(me.as_bytes()))
            .map_err(dir_err)?;
        Ok(StateLock { _file: file })
    }
}
