//! [`FileStore`]: one JSON file shared by the processes of one machine.

use core::fmt;
use core::time::Duration;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::{SessionStore, StoreError, TokenStore};
use crate::util::{next_counter, ttl_millis, unix_millis_now};

/// One stored value.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileEntry {
    value: String,
    /// Milliseconds since the Unix epoch; absent means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

impl FileEntry {
    fn live(&self, now_ms: u64) -> bool {
        self.expires_at.is_none_or(|at| at > now_ms)
    }
}

type Entries = BTreeMap<String, FileEntry>;

/// The embedded default store: one JSON file, safe for many processes on one machine.
///
/// The file is a JSON object mapping each key to `{"value": "…", "expires_at": <Unix ms>}`
/// (`expires_at` is omitted for values that never expire). Expiry uses the wall clock, so
/// processes on one machine agree on it.
///
/// Coordination: a sidecar lock file `<path>.lock` is locked with [`File::lock`] (an
/// exclusive lock for every mutation, a shared lock for reads). A mutation reads the file,
/// changes it, prunes expired entries, writes `<path>.tmp`, `fsync`s it and renames it over
/// the file, all under the exclusive lock, so every primitive is atomic across processes and
/// threads, and a crash never leaves a half-written file. The lock is taken on the sidecar, not
/// on the data file, because the rename replaces the data file's inode.
///
/// Robustness: a missing, unreadable-as-JSON or partially invalid file reads as empty (invalid
/// entries are skipped, never a panic); parent directories are created on the first write; on
/// Unix the files are created with mode `0600` (and new directories with `0700`) because they
/// hold access tokens.
///
/// Async: [`AsyncTokenStore`](crate::AsyncTokenStore) is implemented by running the file operations inline (they are
/// local and short: a lock, a small read and, for mutations, a small write and `fsync`). If the
/// `fsync` latency of your disk matters to your executor, wrap calls in `spawn_blocking`.
///
/// File locks are advisory and coordinate processes on one machine; do not put the file on a
/// network file system shared by several hosts (use Redis or memcached for that).
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    tmp_path: PathBuf,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore").field("path", &self.path).finish()
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn io_err(what: &str, path: &Path, err: &io::Error) -> StoreError {
    // io::Error's Display never contains file contents.
    StoreError::Io(format!("{what} {}: {err}", path.display()))
}

impl FileStore {
    /// A store backed by the JSON file at `path` (created on the first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let lock_path = with_suffix(&path, ".lock");
        let tmp_path = with_suffix(&path, ".tmp");
        Self {
            path,
            lock_path,
            tmp_path,
        }
    }

    /// The data file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The CLI's default file for `account` (an app id or corp id): `wechat/<account>.json`
    /// in the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
    /// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows; `./.cache` if none can be
    /// determined, e.g. without `HOME`).
    ///
    /// Characters other than ASCII letters, digits, `-`, `_` and `.` are replaced by `_`, and a
    /// name that is empty or starts with `.` gets a leading `_`, so the account can never
    /// escape the directory or hide the file.
    #[must_use]
    pub fn default_path(account: &str) -> PathBuf {
        let cache = dirs::cache_dir().unwrap_or_else(|| PathBuf::from(".cache"));
        default_path_in(&cache, account)
    }

    fn open_lock_file(&self) -> Result<File, StoreError> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options
            .open(&self.lock_path)
            .map_err(|e| io_err("cannot open lock file", &self.lock_path, &e))
    }

    fn create_parent(&self) -> Result<(), StoreError> {
        let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(parent)
            .map_err(|e| io_err("cannot create directory", parent, &e))
    }

    /// Reads the entries (the caller holds a lock). Missing or corrupt = empty.
    fn load(&self) -> Result<Entries, StoreError> {
        let mut bytes = Vec::new();
        match File::open(&self.path) {
            Ok(mut file) => {
                file.read_to_end(&mut bytes)
                    .map_err(|e| io_err("cannot read", &self.path, &e))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entries::new()),
            Err(e) => return Err(io_err("cannot open", &self.path, &e)),
        }
        Ok(parse_entries(&bytes))
    }

    /// Writes the entries atomically (the caller holds the exclusive lock).
    fn save(&self, entries: &Entries) -> Result<(), StoreError> {
        let json = serde_json::to_vec(entries).map_err(|_| StoreError::Io("cannot serialize the store".into()))?;
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut tmp = options
            .open(&self.tmp_path)
            .map_err(|e| io_err("cannot create", &self.tmp_path, &e))?;
        #[cfg(unix)]
        {
            // A stale temp file left by a crash may have looser permissions.
            use std::os::unix::fs::PermissionsExt;
            tmp.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|e| io_err("cannot set permissions on", &self.tmp_path, &e))?;
        }
        tmp.write_all(&json)
            .map_err(|e| io_err("cannot write", &self.tmp_path, &e))?;
        tmp.sync_all().map_err(|e| io_err("cannot sync", &self.tmp_path, &e))?;
        drop(tmp);
        // The directory is not fsynced after the rename: after a power loss the file holds
        // either the previous or the new complete contents, and losing the latest write of a
        // cache is harmless; syncing the directory would double the cost of every write.
        fs::rename(&self.tmp_path, &self.path).map_err(|e| io_err("cannot replace", &self.path, &e))
    }

    /// Runs `read` on the live entries under a shared lock.
    fn read<T>(&self, read: impl FnOnce(&Entries, u64) -> T) -> Result<T, StoreError> {
        if !self.path.exists() {
            // Nothing was written yet: do not create the directory or the lock file on a read.
            // (A write racing with this check is simply ordered after this read.)
            return Ok(read(&Entries::new(), unix_millis_now()));
        }
        let lock = self.open_lock_file()?;
        lock.lock_shared()
            .map_err(|e| io_err("cannot lock", &self.lock_path, &e))?;
        let entries = self.load();
        drop(lock);
        Ok(read(&entries?, unix_millis_now()))
    }

    /// Runs `update` under the exclusive lock; writes the file back when it returns `true`
    /// as its second element (expired entries are pruned on every write).
    fn update<T>(
        &self,
        update: impl FnOnce(&mut Entries, u64) -> Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        self.create_parent()?;
        let lock = self.open_lock_file()?;
        lock.lock().map_err(|e| io_err("cannot lock", &self.lock_path, &e))?;
        let result = (|| {
            let mut entries = self.load()?;
            let now = unix_millis_now();
            entries.retain(|_, e| e.live(now));
            let (out, changed) = update(&mut entries, now)?;
            if changed {
                self.save(&entries)?;
            }
            Ok(out)
        })();
        // Dropping the file releases the lock; unlock explicitly to be prompt and portable.
        let _ = lock.unlock();
        result
    }
}

fn expires_at(now: u64, ttl: Duration) -> u64 {
    now.saturating_add(ttl_millis(ttl))
}

/// Parses the file, keeping every valid entry and skipping the rest.
fn parse_entries(bytes: &[u8]) -> Entries {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Entries::new();
    };
    map.into_iter()
        .filter_map(|(k, v)| serde_json::from_value::<FileEntry>(v).ok().map(|e| (k, e)))
        .collect()
}

fn default_path_in(cache: &Path, account: &str) -> PathBuf {
    let mut name: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        name.insert(0, '_');
    }
    cache.join("wechat").join(format!("{name}.json"))
}

impl SessionStore for FileStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|entries, now| entries.get(key).filter(|e| e.live(now)).map(|e| e.value.clone()))
    }

    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        self.update(|entries, now| {
            let entry = FileEntry {
                value: value.to_owned(),
                expires_at: ttl.map(|ttl| expires_at(now, ttl)),
            };
            entries.insert(key.to_owned(), entry);
            Ok(((), true))
        })
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.update(|entries, _| {
            let removed = entries.remove(key).is_some();
            Ok(((), removed))
        })
    }
}

impl TokenStore for FileStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.update(|entries, now| {
            // Expired entries were pruned before this closure runs.
            if entries.contains_key(key) {
                return Ok((false, false));
            }
            entries.insert(
                key.to_owned(),
                FileEntry {
                    value: value.to_owned(),
                    expires_at: Some(expires_at(now, ttl)),
                },
            );
            Ok((true, true))
        })
    }

    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        self.update(|entries, _| {
            if entries.get(key).is_some_and(|e| e.value == expected) {
                entries.remove(key);
                Ok((true, true))
            } else {
                Ok((false, false))
            }
        })
    }

    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        self.update(|entries, now| {
            let next = match entries.get_mut(key) {
                Some(entry) => {
                    let next = next_counter(&entry.value)?;
                    entry.value = next.to_string();
                    next
                }
                None => {
                    let entry = FileEntry {
                        value: "1".to_owned(),
                        expires_at: Some(expires_at(now, ttl)),
                    };
                    entries.insert(key.to_owned(), entry);
                    1
                }
            };
            Ok((next, true))
        })
    }
}

inline_async_store!(FileStore, this => this);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_is_per_account_and_cannot_escape() {
        let cache = Path::new("/home/u/.cache");
        let path = |account| default_path_in(cache, account);
        assert_eq!(path("wx123"), Path::new("/home/u/.cache/wechat/wx123.json"));
        assert_eq!(
            path("work:ww1:1000002"),
            Path::new("/home/u/.cache/wechat/work_ww1_1000002.json")
        );
        assert_eq!(
            path("../../etc/x"),
            Path::new("/home/u/.cache/wechat/_.._.._etc_x.json")
        );
        assert_eq!(path(".."), Path::new("/home/u/.cache/wechat/_...json"));
        assert_eq!(path(""), Path::new("/home/u/.cache/wechat/_.json"));
        assert_eq!(path("a/b\\c"), Path::new("/home/u/.cache/wechat/a_b_c.json"));
        let real = FileStore::default_path("wx123");
        assert!(real.ends_with("wechat/wx123.json"), "{}", real.display());
    }

    #[test]
    fn partially_invalid_files_keep_the_valid_entries() {
        let parsed = parse_entries(br#"{"a":{"value":"1"},"b":{"nope":true},"c":{"value":"3","expires_at":5}}"#);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed["a"].value, "1");
        assert_eq!(parsed["c"].expires_at, Some(5));
        assert!(parse_entries(b"not json").is_empty());
        assert!(parse_entries(b"[1,2]").is_empty());
        assert!(parse_entries(&[0xff, 0xfe, 0x00]).is_empty());
    }
}
