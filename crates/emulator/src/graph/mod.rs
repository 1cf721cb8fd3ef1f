//! The Graph side of the emulator: drives (OneDrive, SharePoint libraries), items, transfers,
//! delta, `$batch` (and later Teams).
//!
//! Requests under `/v1.0` and `/beta` go through one catch-all route ([`dispatch`]) that parses
//! Graph's resource paths (colon syntax included, see [`path`]), checks the bearer token
//! ([`auth`]) and calls the handler; handlers get their request as a [`context::Ctx`] and answer
//! with [`reply`]'s shapes. Pre-authenticated URLs the emulator hands out live under
//! `/_download`, `/_upload` and `/_monitor`; test/admin views under `/_emulator/drives`.

pub mod admin;
pub mod auth;
pub mod batch;
pub mod body;
pub mod children;
pub mod content;
pub mod context;
pub mod copy;
pub mod delta;
pub mod directory;
pub mod dispatch;
pub mod ids;
pub mod items;
pub mod journal;
pub mod model;
pub mod mutate;
pub mod names;
pub mod path;
pub mod render;
pub mod reply;
pub mod seed;
pub mod sites;
pub mod store;
pub mod throttle;
pub mod upload;
pub mod wire;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{any, get};
use axum::Router;
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::seed::Seed;
use crate::{AppState, Error};
use ids::UrlSigner;
use sites::Site;
use store::Store;

/// Journal records after which the background thread writes a new snapshot (at least).
const COMPACT_AFTER_RECORDS: u64 = 20_000;

/// Graph state: drives, items, upload sessions, ... kept in `DATA/graph/`.
pub struct GraphState {
    store: Arc<RwLock<Store>>,
    sites: Vec<Site>,
    created: ids::Millis,
    signer: UrlSigner,
    dir: PathBuf,
    /// Delta enumerations in progress (paging cursors).
    pub(crate) cursors: Mutex<delta::Cursors>,
    /// Copy jobs by monitor id.
    pub(crate) copies: Mutex<HashMap<String, copy::Job>>,
    /// Per-app request buckets (the `graph_requests_per_second` setting).
    pub(crate) throttle: throttle::Throttle,
    /// One lock per upload session, so fragments of a session are applied one at a time.
    pub(crate) session_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    persister: Option<Persister>,
}

impl std::fmt::Debug for GraphState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let store = self.store.read();
        f.debug_struct("GraphState")
            .field("dir", &self.dir)
            .field("drives", &store.drives.len())
            .field("sites", &self.sites.len())
            .finish_non_exhaustive()
    }
}

struct Persister {
    stop: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GraphState {
    /// Loads the Graph state from `data_dir` (creating drives for the seed's users and sites).
    pub fn load(seed: &Seed, data_dir: &Path) -> Result<Self, Error> {
        let dir = data_dir.join("graph");
        for sub in ["content", "uploads", "tmp"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(Error::io("creating", &d))?;
        }
        // Leftovers of interrupted simple uploads.
        if let Ok(entries) = std::fs::read_dir(dir.join("tmp")) {
            for e in entries.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let key_path = dir.join("url-key");
        let key = match std::fs::read(&key_path) {
            Ok(bytes) if bytes.len() == 32 => bytes,
            _ => {
                let mut k = vec![0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut k);
                crate::persist::write_atomic(&key_path, &k)?;
                k
            }
        };
        let mut key_arr = [0u8; 32];
        key_arr.copy_from_slice(&key);
        let created = ids::now_millis();
        let (sites, drives) = sites::from_seed(seed, created);
        let store = Arc::new(RwLock::new(Store::open(&dir, drives)?));
        let persister = Persister::start(store.clone());
        Ok(Self {
            store,
            sites,
            created,
            signer: UrlSigner::new(key_arr),
            dir,
            cursors: Mutex::new(delta::Cursors::default()),
            copies: Mutex::new(HashMap::new()),
            session_locks: Mutex::new(HashMap::new()),
            throttle: throttle::Throttle::default(),
            persister: Some(persister),
        })
    }

    /// Shared access to the store.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read()
    }

    /// Exclusive access to the store.
    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write()
    }

    /// The seed's sites.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// When the directory was created (site timestamps).
    pub fn created(&self) -> ids::Millis {
        self.created
    }

    /// The key signing download URLs and delta tokens.
    pub fn signer(&self) -> &UrlSigner {
        &self.signer
    }

    /// The file holding a content blob.
    pub fn blob_path(&self, blob: &str) -> PathBuf {
        self.dir.join("content").join(blob)
    }

    /// The partial file of an upload session.
    pub fn upload_part_path(&self, session: &str) -> PathBuf {
        // Session ids are URL-safe base64: safe as file names.
        self.dir.join("uploads").join(format!("{session}.part"))
    }

    /// A fresh temporary file path (same file system as the content).
    pub fn temp_path(&self) -> PathBuf {
        self.dir
            .join("tmp")
            .join(format!("{}.tmp", ids::random_token(12)))
    }

    /// Removes content blobs no longer referenced.
    pub fn remove_blobs(&self, blobs: Vec<String>) {
        if blobs.is_empty() {
            return;
        }
        let paths: Vec<PathBuf> = blobs.iter().map(|b| self.blob_path(b)).collect();
        let remove = move || {
            for p in paths {
                let _ = std::fs::remove_file(p);
            }
        };
        // Freeing a large file can take a while: not on the thread that answers requests.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(remove)),
            Err(_) => remove(),
        }
    }

    /// Writes a snapshot now (tests, admin).
    pub fn flush(&self) -> Result<(), Error> {
        self.store.read().compact()
    }
}

impl Persister {
    fn start(store: Arc<RwLock<Store>>) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("graph-persist".into())
            .spawn(move || loop {
                let stop = !matches!(
                    rx.recv_timeout(Duration::from_millis(500)),
                    Err(mpsc::RecvTimeoutError::Timeout)
                );
                let store = store.read();
                let records = store.journal_records();
                let items: usize = store.drives.values().map(|d| d.items.len()).sum();
                let due = records >= COMPACT_AFTER_RECORDS.max(items as u64 / 2);
                if (stop && records > 0) || due {
                    if let Err(e) = store.compact() {
                        tracing::warn!(error = %e, "writing the Graph snapshot failed");
                    }
                }
                if stop {
                    break;
                }
            })
            .ok();
        Self { stop: tx, thread }
    }
}

impl Drop for GraphState {
    fn drop(&mut self) {
        if let Some(mut p) = self.persister.take() {
            let _ = p.stop.send(());
            if let Some(t) = p.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// Routes under `/v1.0` and `/beta`, the pre-authenticated URLs, and the Graph admin views.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1.0/{*rest}", any(dispatch::entry))
        .route("/beta/{*rest}", any(dispatch::entry))
        .route("/_download/{token}", get(content::download))
        .route("/_upload/{session}", any(upload::fragment_entry))
        .route("/_monitor/{job}", get(copy::monitor))
        .merge(admin::routes())
}
