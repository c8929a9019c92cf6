use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::Result;

/// The generated name of a blob file; object keys never become file names.
pub type BlobId = String;

/// Object bytes as files under `blobs/<2 hex>/<32 hex>`, written through `tmp/`.
pub struct Blobs {
    root: PathBuf,
    tmp: PathBuf,
}

/// A blob being written. It becomes visible to readers only through [`Blobs::persist`];
/// dropping it removes the partial file.
pub struct TempBlob {
    pub id: BlobId,
    pub path: PathBuf,
    persisted: bool,
}

impl Blobs {
    /// Opens the blob directories, discarding any temporary file a crash left behind.
    pub(crate) fn open(root: &Path, tmp: &Path) -> Result<Blobs> {
        fs::create_dir_all(root)?;
        if tmp.exists() {
            fs::remove_dir_all(tmp)?;
        }
        fs::create_dir_all(tmp)?;
        Ok(Blobs {
            root: root.to_path_buf(),
            tmp: tmp.to_path_buf(),
        })
    }

    /// Refers to the directories without touching them.
    pub(crate) fn attach(root: &Path, tmp: &Path) -> Blobs {
        Blobs {
            root: root.to_path_buf(),
            tmp: tmp.to_path_buf(),
        }
    }

    /// Reserves a new temporary blob file and returns it open for writing.
    pub fn create_temp(&self) -> Result<(TempBlob, File)> {
        let id = crate::random_hex();
        let path = self.tmp.join(&id);
        let file = File::options().write(true).create_new(true).open(&path)?;
        let temp = TempBlob {
            id,
            path,
            persisted: false,
        };
        Ok((temp, file))
    }

    /// Makes a fully written temporary blob durable under its final name: the file is
    /// fsynced, renamed, and the directory entry fsynced. Call before the metadata commit.
    pub fn persist(&self, mut temp: TempBlob) -> Result<BlobId> {
        File::open(&temp.path)?.sync_all()?;
        let dir = self.root.join(&temp.id[..2]);
        fs::create_dir_all(&dir)?;
        fs::rename(&temp.path, dir.join(&temp.id))?;
        File::open(&dir)?.sync_all()?;
        temp.persisted = true;
        Ok(temp.id.clone())
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.root.join(&id[..2.min(id.len())]).join(id)
    }

    /// Removes a blob that no committed row references any more. A failure is harmless:
    /// the next start sweeps it.
    pub fn remove(&self, id: &str) {
        if let Err(error) = fs::remove_file(self.path(id))
            && error.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(blob = id, %error, "could not remove blob; it will be swept on start");
        }
    }

    pub(crate) fn remove_unreferenced(&self, referenced: &HashSet<String>) -> Result<usize> {
        let mut removed = 0;
        for shard in fs::read_dir(&self.root)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(shard.path())? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !referenced.contains(&name) {
                    fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = fs::remove_file(&self.path);
        }
    }
}
