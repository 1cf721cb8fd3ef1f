//! The Teams side of the emulator: teams, channels (`19:...@thread.tacv2`), members, chats
//! (`19:...@thread.v2`) and messages with replies, mentions and adaptive-card attachments.
//!
//! Graph routes (under `/v1.0` and `/beta`): `GET /me/joinedTeams`,
//! `GET /users/{id|upn}/joinedTeams`, `GET /teams/{id}`, `GET /teams/{id}/channels`,
//! `GET /teams/{id}/channels/{cid}`, `GET /teams/{id}/primaryChannel`,
//! `POST|GET /teams/{id}/channels/{cid}/messages`, `POST|GET .../messages/{mid}/replies`,
//! `GET /me/chats` (`$expand=members`), `POST /chats`, `GET /chats/{id}`,
//! `GET /chats/{id}/members`, `POST|GET /chats/{id}/messages`.
//! Posting needs a delegated token (`ChannelMessage.Send` / `ChatMessage.Send`); an app-only
//! post gets Graph's 401 import-only refusal. Channel posts are throttled per app
//! (`channel_post_rate_per_sec`, `channel_post_burst`) with 429 and `Retry-After`.
//! Admin: `GET|DELETE /_emulator/teams/messages`, pages `/_emulator/ui` and `/_emulator/ui/teams`.
//! Everything is kept in `DATA/teams/teams.json`, written shortly after each change.

pub mod access;
pub mod admin;
pub mod channels;
pub mod chats;
pub mod ids;
pub mod incoming;
pub mod model;
pub mod render;
pub mod sanitize;
pub mod seed;
pub mod throttle;
pub mod ui;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::seed::Seed;
use crate::{AppState, Error};
use model::TeamsStore;
use throttle::Throttle;

/// How long after a change the store is written (changes in between are written together).
const SAVE_DELAY: Duration = Duration::from_millis(300);

/// Teams state: the store, the channel-post throttle, and the background writer.
pub struct TeamsState {
    store: Arc<RwLock<TeamsStore>>,
    /// Channel-post throttling per app.
    pub throttle: Throttle,
    dirty: Arc<AtomicBool>,
    path: PathBuf,
    writer: Option<Writer>,
}

struct Writer {
    stop: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for TeamsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let store = self.store.read();
        f.debug_struct("TeamsState")
            .field("path", &self.path)
            .field("teams", &store.teams.len())
            .field("chats", &store.chats.len())
            .finish_non_exhaustive()
    }
}

impl TeamsState {
    /// Loads `DATA/teams/teams.json` (adding the seed's teams and chats not stored yet), or
    /// builds the store from the seed.
    pub fn load(seed: &Seed, data_dir: &Path) -> Result<Self, Error> {
        let path = data_dir.join("teams").join("teams.json");
        let store = match crate::persist::load::<TeamsStore>(&path)? {
            Some(mut store) => {
                store.merge_seed(seed);
                store
            }
            None => TeamsStore::from_seed(seed),
        };
        crate::persist::save(&path, &store)?;
        let store = Arc::new(RwLock::new(store));
        let dirty = Arc::new(AtomicBool::new(false));
        let writer = Writer::start(store.clone(), dirty.clone(), path.clone());
        Ok(Self {
            store,
            throttle: Throttle::default(),
            dirty,
            path,
            writer: Some(writer),
        })
    }

    /// Shared access to the store.
    pub fn read(&self) -> RwLockReadGuard<'_, TeamsStore> {
        self.store.read()
    }

    /// Exclusive access to the store; call [`TeamsState::changed`] after changing it.
    pub fn write(&self) -> RwLockWriteGuard<'_, TeamsStore> {
        self.store.write()
    }

    /// Marks the store as changed: it is written shortly.
    pub fn changed(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// Writes the store now.
    pub fn flush(&self) -> Result<(), Error> {
        self.dirty.store(false, Ordering::Release);
        let snapshot = self.store.read().clone();
        crate::persist::save(&self.path, &snapshot)
    }
}

impl Writer {
    fn start(store: Arc<RwLock<TeamsStore>>, dirty: Arc<AtomicBool>, path: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("teams-persist".into())
            .spawn(move || loop {
                let stop = !matches!(
                    rx.recv_timeout(SAVE_DELAY),
                    Err(mpsc::RecvTimeoutError::Timeout)
                );
                if dirty.swap(false, Ordering::AcqRel) {
                    let snapshot = store.read().clone();
                    if let Err(e) = crate::persist::save(&path, &snapshot) {
                        tracing::warn!(error = %e, "writing the Teams store failed");
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

impl Drop for TeamsState {
    fn drop(&mut self) {
        if let Some(mut w) = self.writer.take() {
            let _ = w.stop.send(());
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
    }
}

fn api() -> Router<AppState> {
    use axum::routing::post;
    Router::new()
        .route("/me/joinedTeams", get(channels::my_teams))
        .route("/users/{user}/joinedTeams", get(channels::user_teams))
        .route("/teams/{team}", get(channels::get_team))
        .route("/teams/{team}/channels", get(channels::list_channels))
        .route(
            "/teams/{team}/primaryChannel",
            get(channels::primary_channel),
        )
        .route(
            "/teams/{team}/channels/{channel}",
            get(channels::get_channel),
        )
        .route(
            "/teams/{team}/channels/{channel}/messages",
            post(channels::post_message).get(channels::list_messages),
        )
        .route(
            "/teams/{team}/channels/{channel}/messages/{message}/replies",
            post(channels::post_reply).get(channels::list_replies),
        )
        .route("/me/chats", get(chats::my_chats))
        .route("/chats", post(chats::create_chat))
        .route("/chats/{chat}", get(chats::get_chat))
        .route("/chats/{chat}/members", get(chats::chat_members))
        .route(
            "/chats/{chat}/messages",
            post(chats::post_message).get(chats::list_messages),
        )
}

/// The Teams routes under `/v1.0` and `/beta`, the admin endpoint and the pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .nest("/v1.0", api())
        .nest("/beta", api())
        .route(
            "/_emulator/teams/messages",
            get(admin::messages).delete(admin::clear),
        )
        .route("/_emulator/ui", get(ui::index))
        .route("/_emulator/ui/teams", get(ui::teams))
}
